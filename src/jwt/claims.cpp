// Registered-claim validation (RFC 7519 §4.1). NumericDates must be JSON integers: a
// string date or a fraction is refused rather than interpreted, so two readers cannot
// disagree on when a token expires.
#include <bulwark/jwt.hpp>

#include <algorithm>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

enum class Date { absent, ok, bad };

Date read_date(const json::object& claims, std::string_view name, std::int64_t& out) {
    const json::value* v = claims.if_contains(name);
    if (!v) return Date::absent;
    if (v->is_int64()) {
        out = v->get_int64();
        return Date::ok;
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(v->get_uint64());
        return Date::ok;
    }
    return Date::bad;
}

// Saturating add keeps absurd dates from wrapping around.
std::int64_t add(std::int64_t a, std::int64_t b) {
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

}  // namespace

Result<void, JwtError> validate_claims(const json::object& claims, const Validation& v) {
    const std::int64_t leeway = std::clamp<std::int64_t>(v.leeway.count(), 0, kMaxLeeway.count());
    std::int64_t exp = 0, nbf = 0, iat = 0;
    switch (read_date(claims, "exp", exp)) {
        case Date::absent: return JwtError::missing_claim;
        case Date::bad: return JwtError::bad_claim;
        case Date::ok: break;
    }
    Date has_nbf = read_date(claims, "nbf", nbf);
    Date has_iat = read_date(claims, "iat", iat);
    if (has_nbf == Date::bad || has_iat == Date::bad) return JwtError::bad_claim;
    for (std::string_view name : {"iss", "sub", "jti"}) {
        const json::value* s = claims.if_contains(name);
        if (s && !s->is_string()) return JwtError::bad_claim;
    }

    if (v.now >= add(exp, leeway)) return JwtError::expired;
    if (has_nbf == Date::ok && add(v.now, leeway) < nbf) return JwtError::not_yet_valid;
    if (has_iat == Date::ok && add(v.now, leeway) < iat) return JwtError::issued_in_future;

    if (v.issuer) {
        const json::value* iss = claims.if_contains("iss");
        if (!iss || iss->as_string() != *v.issuer) return JwtError::wrong_issuer;
    }
    // RFC 7519 §4.1.3: a token naming an audience is refused by anyone not in it, including
    // a service that expects no audience at all.
    if (const json::value* aud = claims.if_contains("aud")) {
        if (!v.audience) return JwtError::wrong_audience;
        bool found = false;
        if (aud->is_string()) {
            found = aud->as_string() == *v.audience;
        } else if (aud->is_array()) {
            for (const json::value& a : aud->as_array()) {
                if (!a.is_string()) return JwtError::bad_claim;
                if (a.as_string() == *v.audience) found = true;
            }
        } else {
            return JwtError::bad_claim;
        }
        if (!found) return JwtError::wrong_audience;
    } else if (v.audience) {
        return JwtError::wrong_audience;
    }
    return {};
}

}  // namespace bulwark::jwt
