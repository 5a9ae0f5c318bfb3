// The authorization request (OpenID Connect Core §3.1.2.1) with PKCE (RFC 7636) and what the
// app keeps of it in the session until the callback.
#include "strict_json.hpp"

#include <boost/json/value.hpp>

namespace bulwark::oidc {
namespace {

// The session value is ours, but a damaged or foreign one must not pass for a login.
bool is_token(const std::string& s) {
    if (s.size() != 43) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    return true;
}

void percent_encode(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
}

}  // namespace

PendingLogin new_pending_login(std::int64_t now, std::string redirect_uri) {
    // 32 random bytes each: 256 bits, above RFC 7636 §7.1's minimum for the verifier.
    return PendingLogin{crypto::random_token(32), crypto::random_token(32), crypto::random_token(32), now,
                        std::move(redirect_uri)};
}

std::string code_challenge_s256(std::string_view code_verifier) {
    const auto digest = crypto::sha256(crypto::as_bytes(code_verifier));
    return crypto::base64url_encode(crypto::ByteView(digest.data(), digest.size()));
}

boost::json::object to_json(const PendingLogin& p) {
    return boost::json::object{
        {"state", p.state}, {"nonce", p.nonce}, {"verifier", p.code_verifier}, {"at", p.created_at},
        {"redirect_uri", p.redirect_uri}};
}

std::optional<PendingLogin> pending_from_json(const boost::json::value& untrusted) {
    if (!untrusted.is_object()) return std::nullopt;
    const auto& o = untrusted.as_object();
    PendingLogin p;
    for (auto [name, out] : {std::pair<std::string_view, std::string*>{"state", &p.state},
                             {"nonce", &p.nonce}, {"verifier", &p.code_verifier}}) {
        const auto* v = o.if_contains(name);
        if (!v || !v->is_string()) return std::nullopt;
        *out = std::string(v->as_string());
        if (!is_token(*out)) return std::nullopt;
    }
    const auto* at = o.if_contains("at");
    if (!at || !at->is_int64()) return std::nullopt;
    p.created_at = at->as_int64();
    const auto* uri = o.if_contains("redirect_uri");
    if (!uri || !uri->is_string() || uri->as_string().size() > 2048) return std::nullopt;
    p.redirect_uri = std::string(uri->as_string());
    return p;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (!out.empty()) out += '&';
        percent_encode(out, k);
        out += '=';
        percent_encode(out, v);
    }
    return out;
}

std::string authorization_url(const ProviderMetadata& provider, const Config& config, const PendingLogin& pending) {
    std::string scope = "openid";
    for (const auto& s : config.scopes)
        if (s != "openid" && !s.empty()) scope += " " + s;
    const std::string query = form_encode({{"response_type", "code"},
                                           {"client_id", config.client_id},
                                           {"redirect_uri", pending.redirect_uri.empty() ? config.redirect_uri
                                                                                         : pending.redirect_uri},
                                           {"scope", scope},
                                           {"state", pending.state},
                                           {"nonce", pending.nonce},
                                           {"code_challenge", code_challenge_s256(pending.code_verifier)},
                                           {"code_challenge_method", "S256"}});
    const auto& base = provider.authorization_endpoint;
    return base + (base.find('?') == std::string::npos ? "?" : "&") + query;
}

}  // namespace bulwark::oidc
