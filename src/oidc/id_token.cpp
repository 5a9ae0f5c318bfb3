// The ID token check (OpenID Connect Core §3.1.3.7): the signature first, with a provider key
// of an allowed asymmetric algorithm, then every claim the login depends on.
#include "strict_json.hpp"

#include <boost/json/array.hpp>

#include <algorithm>

namespace bulwark::oidc {
namespace {

// number_claim: an integer NumericDate; nullopt when absent; malformed when not an integer.
Result<std::optional<std::int64_t>, Error> number_claim(const boost::json::object& c, std::string_view name) {
    const auto* v = c.if_contains(name);
    if (!v) return std::optional<std::int64_t>();
    if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
    return Error::id_token_malformed;
}

bool is_hmac(jwt::Algorithm a) {
    return a == jwt::Algorithm::hs256 || a == jwt::Algorithm::hs384 || a == jwt::Algorithm::hs512;
}

Error map_jwt_error(jwt::JwtError e) {
    switch (e) {
        case jwt::JwtError::bad_signature: return Error::bad_signature;
        case jwt::JwtError::algorithm_mismatch: return Error::alg_not_allowed;
        case jwt::JwtError::unknown_key: return Error::no_usable_key;
        case jwt::JwtError::too_large: return Error::too_large;
        default: return Error::id_token_malformed;
    }
}

// check_audience: aud (string or array) contains the client id; with several audiences, azp
// must name this client; a present azp must name it in any case (Core §3.1.3.7 items 3-5).
Result<void, Error> check_audience(const boost::json::object& claims, const std::string& client_id) {
    const auto* aud = claims.if_contains("aud");
    if (!aud) return Error::wrong_audience;
    std::size_t count = 0;
    bool listed = false;
    if (aud->is_string()) {
        count = 1;
        listed = aud->as_string() == client_id;
    } else if (aud->is_array()) {
        for (const auto& a : aud->as_array()) {
            if (!a.is_string()) return Error::id_token_malformed;
            ++count;
            listed = listed || a.as_string() == client_id;
        }
    } else {
        return Error::id_token_malformed;
    }
    if (!listed) return Error::wrong_audience;
    auto azp = detail::string_member(claims, "azp");
    if (!azp) return Error::id_token_malformed;
    if (*azp && **azp != client_id) return Error::wrong_azp;
    if (count > 1 && !*azp) return Error::wrong_azp;
    return {};
}

}  // namespace

Result<TokenHeader, Error> read_header(std::string_view untrusted_token, const std::vector<jwt::Algorithm>& allowed) {
    if (untrusted_token.size() > jwt::kMaxTokenSize) return Error::too_large;
    const auto dot = untrusted_token.find('.');
    if (dot == std::string_view::npos) return Error::id_token_malformed;
    auto bytes = crypto::base64url_decode(untrusted_token.substr(0, dot));
    if (!bytes) return Error::id_token_malformed;
    auto header = jwt::parse_json_object(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
    if (!header) return Error::id_token_malformed;
    auto alg_name = detail::string_member(*header, "alg");
    auto kid = detail::string_member(*header, "kid");
    if (!alg_name || !kid) return Error::id_token_malformed;
    if (!*alg_name) return Error::id_token_malformed;
    // `none` has no Algorithm value at all; HMAC keyed with a public key is the classic
    // confusion (RFC 8725 §2.1): both refused before any key is looked at.
    const auto alg = jwt::algorithm_from_name(**alg_name);
    if (!alg || is_hmac(*alg) || std::find(allowed.begin(), allowed.end(), *alg) == allowed.end())
        return Error::alg_not_allowed;
    return TokenHeader{*alg, std::move(*kid)};
}

Result<Identity, Error> verify_id_token(std::string_view untrusted_token, const Jwks& keys, const IdTokenCheck& check) {
    auto header = read_header(untrusted_token, check.allowed_algorithms);
    if (!header) return header.error();
    auto key = keys.key_for(header->kid ? std::optional<std::string_view>(*header->kid) : std::nullopt, header->alg);
    if (!key) return key.error();
    std::vector<jwt::Key> one;
    one.push_back(std::move(*key));
    const jwt::KeySet set(std::move(one));
    auto jws = jwt::verify_compact(untrusted_token, set);
    if (!jws) return map_jwt_error(jws.error());
    auto parsed = jwt::parse_json_object(jws->payload);
    if (!parsed) return Error::id_token_malformed;
    const auto& claims = *parsed;

    auto iss = detail::string_member(claims, "iss");
    if (!iss) return Error::id_token_malformed;
    if (!*iss || **iss != check.issuer) return Error::wrong_issuer;
    if (auto aud = check_audience(claims, check.client_id); !aud) return aud.error();

    const std::int64_t leeway = std::min(check.leeway, kMaxLeeway).count();
    auto exp = number_claim(claims, "exp");
    auto iat = number_claim(claims, "iat");
    auto nbf = number_claim(claims, "nbf");
    if (!exp) return exp.error();
    if (!iat) return iat.error();
    if (!nbf) return nbf.error();
    if (!*exp || !*iat) return Error::missing_claim;
    // Arithmetic on our own clock only, never on a claim: an attacker's INT64_MIN or
    // INT64_MAX must not overflow.
    if (**exp < check.now - leeway) return Error::expired;
    if (**iat > check.now + leeway) return Error::issued_in_future;
    if (*nbf && **nbf > check.now + leeway) return Error::issued_in_future;
    if (**iat < check.now - check.max_token_age.count() - leeway) return Error::too_old;

    // The nonce ties the token to this browser's login (Core §3.1.3.7 item 11): a token
    // captured from another login, or injected by an attacker, carries another one.
    auto nonce = detail::string_member(claims, "nonce");
    if (!nonce) return Error::id_token_malformed;
    if (!*nonce || check.nonce.empty() || !crypto::equal(**nonce, check.nonce)) return Error::nonce_mismatch;

    auto sub = detail::string_member(claims, "sub");
    if (!sub) return Error::id_token_malformed;
    if (!*sub || (*sub)->empty() || (*sub)->size() > 255) return Error::missing_claim;

    Identity who;
    who.issuer = **iss;
    who.subject = **sub;
    auto text = [&](std::string_view name) {
        auto v = detail::string_member(claims, name);
        return v && *v ? **v : std::string();
    };
    who.email = text("email");
    who.name = text("name");
    who.preferred_username = text("preferred_username");
    if (const auto* v = claims.if_contains("email_verified"); v && v->is_bool()) who.email_verified = v->as_bool();
    who.claims = claims;
    return who;
}

}  // namespace bulwark::oidc
