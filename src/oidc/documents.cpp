// The provider's documents: discovery (OpenID Connect Discovery 1.0 §3, §4.3) and the token
// response (RFC 6749 §5.1, §5.2; OpenID Connect Core §3.1.3.3).
#include "strict_json.hpp"

#include <boost/json/array.hpp>

namespace bulwark::oidc {

std::string_view error_name(Error e) noexcept {
    switch (e) {
        case Error::fetch_failed: return "fetch_failed";
        case Error::http_status: return "http_status";
        case Error::too_large: return "too_large";
        case Error::malformed: return "malformed";
        case Error::missing_field: return "missing_field";
        case Error::insecure_url: return "insecure_url";
        case Error::issuer_mismatch: return "issuer_mismatch";
        case Error::no_usable_key: return "no_usable_key";
        case Error::state_mismatch: return "state_mismatch";
        case Error::provider_error: return "provider_error";
        case Error::token_rejected: return "token_rejected";
        case Error::id_token_malformed: return "id_token_malformed";
        case Error::alg_not_allowed: return "alg_not_allowed";
        case Error::bad_signature: return "bad_signature";
        case Error::wrong_issuer: return "wrong_issuer";
        case Error::wrong_audience: return "wrong_audience";
        case Error::wrong_azp: return "wrong_azp";
        case Error::expired: return "expired";
        case Error::issued_in_future: return "issued_in_future";
        case Error::too_old: return "too_old";
        case Error::nonce_mismatch: return "nonce_mismatch";
        case Error::missing_claim: return "missing_claim";
    }
    return "unknown";
}

std::string discovery_url(std::string_view issuer) {
    std::string url(issuer);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url + "/.well-known/openid-configuration";
}

Result<ProviderMetadata, Error> parse_discovery(std::string_view untrusted_json, std::string_view expected_issuer,
                                                InsecureHttp insecure) {
    auto doc = detail::parse_object(untrusted_json);
    if (!doc) return doc.error();
    ProviderMetadata m;
    struct Field {
        std::string_view name;
        std::string* out;
    };
    for (const Field f : {Field{"issuer", &m.issuer}, Field{"authorization_endpoint", &m.authorization_endpoint},
                          Field{"token_endpoint", &m.token_endpoint}, Field{"jwks_uri", &m.jwks_uri}}) {
        auto value = detail::string_member(*doc, f.name);
        if (!value) return value.error();
        if (!*value || (*value)->empty()) return Error::missing_field;
        *f.out = std::move(**value);
    }
    // The issuer must be exactly the one configured (Discovery §4.3): a document that names
    // another is a mix-up, or a provider answering for someone else.
    if (m.issuer.size() != expected_issuer.size() || !crypto::equal(m.issuer, expected_issuer))
        return Error::issuer_mismatch;
    for (const auto* url : {&m.issuer, &m.authorization_endpoint, &m.token_endpoint, &m.jwks_uri})
        if (auto ok = detail::check_url(*url, insecure); !ok) return ok.error();
    if (const auto* algs = doc->if_contains("id_token_signing_alg_values_supported")) {
        if (!algs->is_array() || algs->as_array().size() > 64) return Error::malformed;
        for (const auto& a : algs->as_array()) {
            if (!a.is_string()) return Error::malformed;
            m.id_token_signing_alg_values_supported.emplace_back(a.as_string());
        }
    }
    // A provider that states its PKCE methods must offer S256 (RFC 7636 §4.2); one that does
    // not say is still sent S256, and a code it issues without checking is its own bug.
    if (const auto* methods = doc->if_contains("code_challenge_methods_supported")) {
        if (!methods->is_array()) return Error::malformed;
        bool s256 = false;
        for (const auto& x : methods->as_array()) s256 = s256 || (x.is_string() && x.as_string() == "S256");
        if (!s256) return Error::missing_field;
    }
    return m;
}

Result<TokenResponse, Error> parse_token_response(long status, std::string_view untrusted_json) {
    // 400/401 with {"error": "invalid_grant"} and friends: the code was refused (RFC 6749 §5.2).
    if (status == 400 || status == 401) return Error::token_rejected;
    if (status != 200) return Error::http_status;
    auto doc = detail::parse_object(untrusted_json);
    if (!doc) return doc.error();
    auto token_type = detail::string_member(*doc, "token_type");
    if (!token_type) return token_type.error();
    if (!*token_type) return Error::missing_field;
    // Case-insensitive (RFC 6749 §5.1); only Bearer is understood.
    std::string tt = **token_type;
    for (char& c : tt) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (tt != "bearer") return Error::malformed;
    auto id_token = detail::string_member(*doc, "id_token");
    if (!id_token) return id_token.error();
    if (!*id_token || (*id_token)->empty()) return Error::missing_field;
    if ((*id_token)->size() > jwt::kMaxTokenSize) return Error::too_large;
    return TokenResponse{std::move(**id_token)};
}

}  // namespace bulwark::oidc
