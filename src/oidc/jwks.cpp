// The provider's JWK Set (RFC 7517 §5): signature keys only, each loaded by the JWT component
// for one algorithm at a time, so a key published for RS256 never verifies anything else.
#include "strict_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace bulwark::oidc {
namespace {

bool is_hmac(jwt::Algorithm a) {
    return a == jwt::Algorithm::hs256 || a == jwt::Algorithm::hs384 || a == jwt::Algorithm::hs512;
}

// kty_of: the key type an algorithm needs (RFC 7518 §6.1).
std::string_view kty_of(jwt::Algorithm a) {
    switch (a) {
        case jwt::Algorithm::rs256:
        case jwt::Algorithm::ps256: return "RSA";
        case jwt::Algorithm::es256: return "EC";
        case jwt::Algorithm::eddsa: return "OKP";
        default: return "";
    }
}

std::optional<jwt::Algorithm> default_alg(std::string_view kty) {
    if (kty == "RSA") return jwt::Algorithm::rs256;
    if (kty == "EC") return jwt::Algorithm::es256;
    if (kty == "OKP") return jwt::Algorithm::eddsa;
    return std::nullopt;
}

bool loads(jwt::Algorithm alg, const std::string& json) {
    try {
        (void)jwt::Key::from_jwk(alg, json);
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

Result<Jwks, Error> Jwks::parse(std::string_view untrusted_json) {
    auto doc = detail::parse_object(untrusted_json);
    if (!doc) return doc.error();
    const auto* keys = doc->if_contains("keys");
    if (!keys) return Error::missing_field;
    if (!keys->is_array()) return Error::malformed;
    if (keys->as_array().size() > kMaxJwksKeys) return Error::too_large;
    Jwks set;
    for (const auto& item : keys->as_array()) {
        if (!item.is_object()) return Error::malformed;
        const auto& jwk = item.as_object();
        auto kty = detail::string_member(jwk, "kty");
        auto use = detail::string_member(jwk, "use");
        auto kid = detail::string_member(jwk, "kid");
        auto alg = detail::string_member(jwk, "alg");
        if (!kty || !use || !kid || !alg) return Error::malformed;
        if (!*kty) return Error::missing_field;
        // Skipped, not refused: a set may also carry encryption keys or kinds we do not use.
        if (*use && **use != "sig") continue;
        if (jwk.contains("d") || jwk.contains("k")) continue;  // private or symmetric material
        Entry e;
        e.kty = **kty;
        e.kid = kid->value_or("");
        if (*alg) {
            e.alg = jwt::algorithm_from_name(**alg);
            if (!e.alg || is_hmac(*e.alg) || kty_of(*e.alg) != e.kty) continue;
        }
        const auto probe = e.alg ? e.alg : default_alg(e.kty);
        if (!probe) continue;
        e.json = boost::json::serialize(jwk);
        if (!loads(*probe, e.json)) continue;
        set.keys_.push_back(std::move(e));
    }
    return set;
}

Result<jwt::Key, Error> Jwks::key_for(std::optional<std::string_view> kid, jwt::Algorithm alg) const {
    if (is_hmac(alg)) return Error::alg_not_allowed;
    const Entry* found = nullptr;
    std::size_t fitting = 0;
    for (const auto& e : keys_) {
        if (e.kty != kty_of(alg) || (e.alg && *e.alg != alg)) continue;
        if (kid && e.kid != *kid) continue;
        if (!found) found = &e;
        ++fitting;
    }
    // Without a kid the choice must be unambiguous (OpenID Connect Core §10.1).
    if (!found || (!kid && fitting != 1)) return Error::no_usable_key;
    try {
        return jwt::Key::from_jwk(alg, found->json, std::string(kid.value_or("")));
    } catch (const std::exception&) {
        return Error::no_usable_key;
    }
}

}  // namespace bulwark::oidc
