// Token text: the shape check that runs before any lookup, and the names of the enums.
#include <bulwark/account.hpp>

#include <algorithm>

namespace bulwark::account {

std::string_view purpose_name(Purpose p) noexcept {
    switch (p) {
        case Purpose::verify_email: return "verify_email";
        case Purpose::reset_password: return "reset_password";
        case Purpose::change_email: return "change_email";
    }
    return "unknown";
}

std::string_view token_error_name(TokenError e) noexcept {
    switch (e) {
        case TokenError::malformed: return "malformed";
        case TokenError::invalid: return "invalid";
        case TokenError::expired: return "expired";
        case TokenError::password_changed: return "password_changed";
        case TokenError::no_such_user: return "no_such_user";
        case TokenError::payload_too_large: return "payload_too_large";
        case TokenError::database: return "database";
    }
    return "unknown";
}

namespace {
constexpr bool is_b64url(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
}  // namespace

Result<TokenBytes, TokenError> parse_token(std::string_view untrusted) {
    // The length is fixed, so the limit is the length: nothing longer is even scanned.
    if (untrusted.size() != kTokenChars) return TokenError::malformed;
    if (!std::all_of(untrusted.begin(), untrusted.end(), is_b64url)) return TokenError::malformed;
    // Strict decoding also refuses non-zero trailing bits, so each token has one spelling
    // (two spellings of one token would still hash apart, but one shape is simpler to reason about).
    auto bytes = crypto::base64url_decode(untrusted);
    if (!bytes || bytes->size() != kTokenBytes) return TokenError::malformed;
    TokenBytes out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    crypto::wipe(bytes->data(), bytes->size());
    return out;
}

std::string_view schema(db::Backend backend) noexcept {
    if (backend == db::Backend::postgresql)
        return "CREATE TABLE account_tokens (\n"
               "    token_hash BYTEA PRIMARY KEY,\n"
               "    purpose TEXT NOT NULL,\n"
               "    user_id TEXT NOT NULL,\n"
               "    binding TEXT NOT NULL,\n"
               "    payload TEXT NOT NULL,\n"
               "    created_at BIGINT NOT NULL,\n"
               "    expires_at BIGINT NOT NULL\n"
               ");\n"
               "CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);\n"
               "CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);\n";
    return "CREATE TABLE account_tokens (\n"
           "    token_hash BLOB PRIMARY KEY,\n"
           "    purpose TEXT NOT NULL,\n"
           "    user_id TEXT NOT NULL,\n"
           "    binding TEXT NOT NULL,\n"
           "    payload TEXT NOT NULL,\n"
           "    created_at INTEGER NOT NULL,\n"
           "    expires_at INTEGER NOT NULL\n"
           ");\n"
           "CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose);\n"
           "CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);\n";
}

}  // namespace bulwark::account
