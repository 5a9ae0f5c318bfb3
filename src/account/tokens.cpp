// Tokens: issuing, redeeming and revoking rows of account_tokens. Every statement is a literal
// with bound values; the token itself never reaches the database, only its keyed hash.
#include <bulwark/account.hpp>

#include <stdexcept>
#include <tuple>

namespace bulwark::account {
namespace {

using Clock = std::chrono::system_clock;
// user_id, payload, binding, created_at, expires_at
using TokenRow = std::tuple<std::string, std::string, std::string, std::int64_t, std::int64_t>;

std::int64_t unix_seconds(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix(std::int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// Domain-separated MAC input: a tag, then fields joined by NUL (no field holds a NUL that
// matters: the token is fixed-size and comes last, purposes are our own names).
std::string mac_input(std::string_view tag, std::initializer_list<std::string_view> fields) {
    std::string out(tag);
    for (auto f : fields) {
        out.push_back('\0');
        out.append(f);
    }
    return out;
}

}  // namespace

Tokens::Tokens(db::Database db, std::vector<crypto::SecretBytes> keys, Options options)
    : db_(std::move(db)), keys_(std::move(keys)), options_(std::move(options)) {
    if (keys_.empty()) throw std::invalid_argument("account::Tokens: no keys (pass KeyRing::subkeys(Purpose::account_token))");
    for (const auto& k : keys_)
        if (k.size() < 32) throw std::invalid_argument("account::Tokens: a key is shorter than 32 bytes");
}

TimePoint Tokens::now() const { return options_.now ? options_.now() : Clock::now(); }

std::chrono::seconds Tokens::ttl(Purpose purpose) const noexcept {
    switch (purpose) {
        case Purpose::verify_email: return options_.verify_email_ttl;
        case Purpose::reset_password: return options_.reset_password_ttl;
        case Purpose::change_email: return options_.change_email_ttl;
    }
    return std::chrono::seconds{0};
}

TokenError Tokens::database_failed(const db::DbError& e) const {
    if (options_.error_log) options_.error_log("account tokens: " + e.diagnostic_for_log());
    return TokenError::database;
}

std::array<std::uint8_t, 32> Tokens::token_hash(std::size_t key, Purpose purpose, const TokenBytes& token) const {
    const std::string_view raw(reinterpret_cast<const char*>(token.data()), token.size());
    auto input = mac_input("bulwark.account.token.v1", {purpose_name(purpose), raw});
    auto mac = crypto::hmac_sha256(keys_[key].reveal(), crypto::as_bytes(input));
    crypto::wipe(input.data(), input.size());
    return mac;
}

// binding: for a reset token, a MAC of the user's current password hash (so the hash itself is
// not copied into another table); empty for the other purposes.
Result<std::string, TokenError> Tokens::binding(std::size_t key, Purpose purpose, std::string_view user_id) const {
    if (purpose != Purpose::reset_password) return std::string();
    if (!options_.password_hash_of)
        throw std::invalid_argument("account::Tokens: reset tokens need Options::password_hash_of");
    auto hash = options_.password_hash_of(user_id);
    if (!hash) return database_failed(hash.error());
    if (!*hash) return TokenError::no_such_user;
    const auto input = mac_input("bulwark.account.binding.v1", {user_id, **hash});
    const auto mac = crypto::hmac_sha256(keys_[key].reveal(), crypto::as_bytes(input));
    return crypto::hex_encode(mac);
}

Result<Issued, TokenError> Tokens::issue(Purpose purpose, std::string_view user_id, std::string_view payload) {
    if (payload.size() > options_.max_payload_bytes) return TokenError::payload_too_large;
    auto bind = binding(0, purpose, user_id);
    if (!bind) return bind.error();

    const auto bytes = crypto::random_bytes(kTokenBytes);
    TokenBytes token{};
    std::copy(bytes.begin(), bytes.end(), token.begin());
    const auto hash = token_hash(0, purpose, token);
    const std::int64_t created = unix_seconds(now());
    const std::int64_t expires = created + ttl(purpose).count();
    const auto name = purpose_name(purpose);

    // Housekeeping first: this user's dead rows, and the oldest live ones beyond the cap.
    if (auto r = db_.execute("DELETE FROM account_tokens WHERE user_id = ? AND expires_at <= ?", user_id, created); !r)
        return database_failed(r.error());
    auto live = db_.query_as<crypto::Bytes>(
        "SELECT token_hash FROM account_tokens WHERE user_id = ? AND purpose = ? "
        "ORDER BY created_at DESC, expires_at DESC",
        user_id, name);
    if (!live) return database_failed(live.error());
    const std::size_t keep = options_.max_live_per_user > 0 ? options_.max_live_per_user - 1 : 0;
    for (std::size_t i = keep; i < live->size(); ++i)
        if (auto r = db_.execute("DELETE FROM account_tokens WHERE token_hash = ?", (*live)[i]); !r)
            return database_failed(r.error());

    auto inserted = db_.execute(
        "INSERT INTO account_tokens (token_hash, purpose, user_id, binding, payload, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        std::span<const std::uint8_t>(hash), name, user_id, *bind, std::string(payload), created, expires);
    if (!inserted) return database_failed(inserted.error());
    auto text = crypto::base64url_encode(token);
    crypto::wipe(token.data(), token.size());
    return Issued{std::move(text), from_unix(expires)};
}

Result<Redeemed, TokenError> Tokens::consume(std::string_view untrusted_token, Purpose purpose,
                                             std::string_view expected_user) {
    return redeem(untrusted_token, purpose, expected_user, true);
}

Result<Redeemed, TokenError> Tokens::peek(std::string_view untrusted_token, Purpose purpose,
                                          std::string_view expected_user) const {
    return redeem(untrusted_token, purpose, expected_user, false);
}

Result<Redeemed, TokenError> Tokens::redeem(std::string_view untrusted_token, Purpose purpose,
                                            std::string_view expected_user, bool remove) const {
    auto token = parse_token(untrusted_token);
    if (!token) return token.error();
    const auto name = purpose_name(purpose);
    std::optional<TokenRow> found;
    std::size_t key = 0;
    for (; key < keys_.size() && !found; ++key) {
        const auto h = token_hash(key, purpose, *token);
        const std::span<const std::uint8_t> hash(h);
        // One statement reads and deletes, so of two racing requests exactly one gets the row
        // (on PostgreSQL the second waits for the first's row lock, then finds nothing).
        Result<std::optional<TokenRow>, db::DbError> row = std::optional<TokenRow>{};
        if (remove && expected_user.empty())
            row = db_.one<TokenRow>(
                "DELETE FROM account_tokens WHERE token_hash = ? AND purpose = ? "
                "RETURNING user_id, payload, binding, created_at, expires_at",
                hash, name);
        else if (remove)
            row = db_.one<TokenRow>(
                "DELETE FROM account_tokens WHERE token_hash = ? AND purpose = ? AND user_id = ? "
                "RETURNING user_id, payload, binding, created_at, expires_at",
                hash, name, expected_user);
        else if (expected_user.empty())
            row = db_.one<TokenRow>(
                "SELECT user_id, payload, binding, created_at, expires_at FROM account_tokens "
                "WHERE token_hash = ? AND purpose = ?",
                hash, name);
        else
            row = db_.one<TokenRow>(
                "SELECT user_id, payload, binding, created_at, expires_at FROM account_tokens "
                "WHERE token_hash = ? AND purpose = ? AND user_id = ?",
                hash, name, expected_user);
        if (!row) return database_failed(row.error());
        found = std::move(*row);
        if (found) break;
    }
    if (!found) return TokenError::invalid;
    auto& [user_id, payload, stored_binding, created_at, expires_at] = *found;
    if (unix_seconds(now()) >= expires_at) return TokenError::expired;
    if (purpose == Purpose::reset_password) {
        auto current = binding(key, purpose, user_id);
        if (!current) {
            if (current.error() == TokenError::no_such_user) return TokenError::invalid;
            return current.error();
        }
        if (!crypto::equal(*current, stored_binding)) return TokenError::password_changed;
    }
    return Redeemed{std::move(user_id), std::move(payload), from_unix(created_at)};
}

Result<std::int64_t, TokenError> Tokens::revoke_all(std::string_view user_id, Purpose purpose) {
    auto r = db_.execute("DELETE FROM account_tokens WHERE user_id = ? AND purpose = ?", user_id, purpose_name(purpose));
    if (!r) return database_failed(r.error());
    return *r;
}

Result<std::int64_t, TokenError> Tokens::purge_expired() {
    auto r = db_.execute("DELETE FROM account_tokens WHERE expires_at <= ?", unix_seconds(now()));
    if (!r) return database_failed(r.error());
    return *r;
}

}  // namespace bulwark::account
