// Registered-claim validation (RFC 7519 §4.1). NumericDates must be JSON integers: a
// string date or a fraction is refused rather than interpreted, so two readers cannot
// disagree on when a token expires.
#include "registered_claims.hpp"

#include <algorithm>
#include <vector>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

enum class Date { absent, ok, bad };

Date read_date(const Member& m, std::int64_t& out) {
    switch (m.kind) {
        case Kind::absent: return Date::absent;
        case Kind::int64: out = m.i; return Date::ok;
        case Kind::uint64:
            if (m.u > static_cast<std::uint64_t>(INT64_MAX)) return Date::bad;
            out = static_cast<std::int64_t>(m.u);
            return Date::ok;
        default: return Date::bad;
    }
}

// Saturating add keeps absurd dates from wrapping around.
std::int64_t add(std::int64_t a, std::int64_t b) {
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b) return INT64_MIN;
    return a + b;
}

Member member_of(const json::object& o, std::string_view name) {
    Member m;
    const json::value* v = o.if_contains(name);
    if (!v) return m;
    switch (v->kind()) {
        case json::kind::string: m.kind = Kind::string; m.text = v->get_string(); break;
        case json::kind::int64: m.kind = Kind::int64; m.i = v->get_int64(); break;
        case json::kind::uint64: m.kind = Kind::uint64; m.u = v->get_uint64(); break;
        case json::kind::double_: m.kind = Kind::number; break;
        case json::kind::bool_: m.kind = Kind::boolean; m.b = v->get_bool(); break;
        case json::kind::null: m.kind = Kind::null; break;
        case json::kind::object: m.kind = Kind::object; break;
        case json::kind::array: m.kind = Kind::array; break;
    }
    return m;
}

}  // namespace

bool Audiences::contains(const Member& aud, std::string_view audience) const noexcept {
    if (!reader) return std::find(dom.begin(), dom.end(), audience) != dom.end();
    for (std::size_t i = 0; i < aud.count; ++i)
        if (reader->array_element(aud.first + i) == audience) return true;
    return false;
}

RegisteredClaims registered_claims(const ObjectReader& r) noexcept {
    return RegisteredClaims{r[Name::exp], r[Name::nbf], r[Name::iat], r[Name::iss],
                            r[Name::sub], r[Name::jti], r[Name::aud], Audiences{&r, {}}};
}

Result<void, JwtError> check_registered(const RegisteredClaims& c, const Validation& v) noexcept {
    const std::int64_t leeway = std::clamp<std::int64_t>(v.leeway.count(), 0, kMaxLeeway.count());
    std::int64_t exp = 0, nbf = 0, iat = 0;
    switch (read_date(c.exp, exp)) {
        case Date::absent: return JwtError::missing_claim;
        case Date::bad: return JwtError::bad_claim;
        case Date::ok: break;
    }
    Date has_nbf = read_date(c.nbf, nbf);
    Date has_iat = read_date(c.iat, iat);
    if (has_nbf == Date::bad || has_iat == Date::bad) return JwtError::bad_claim;
    for (const Member* s : {&c.iss, &c.sub, &c.jti})
        if (s->kind != Kind::absent && s->kind != Kind::string) return JwtError::bad_claim;

    if (v.now >= add(exp, leeway)) return JwtError::expired;
    if (has_nbf == Date::ok && add(v.now, leeway) < nbf) return JwtError::not_yet_valid;
    if (has_iat == Date::ok && add(v.now, leeway) < iat) return JwtError::issued_in_future;

    if (v.issuer && (c.iss.kind != Kind::string || c.iss.text != *v.issuer))
        return JwtError::wrong_issuer;
    // RFC 7519 §4.1.3: a token naming an audience is refused by anyone not in it, including
    // a service that expects no audience at all.
    if (c.aud.kind != Kind::absent) {
        if (!v.audience) return JwtError::wrong_audience;
        bool found = false;
        if (c.aud.kind == Kind::string) {
            found = c.aud.text == *v.audience;
        } else if (c.aud.kind == Kind::array) {
            if (!c.aud.all_strings) return JwtError::bad_claim;
            found = c.audiences.contains(c.aud, *v.audience);
        } else {
            return JwtError::bad_claim;
        }
        if (!found) return JwtError::wrong_audience;
    } else if (v.audience) {
        return JwtError::wrong_audience;
    }
    return {};
}

Result<void, JwtError> validate_claims(const json::object& claims, const Validation& v) {
    RegisteredClaims c{member_of(claims, "exp"), member_of(claims, "nbf"), member_of(claims, "iat"),
                       member_of(claims, "iss"), member_of(claims, "sub"), member_of(claims, "jti"),
                       member_of(claims, "aud"), {}};
    std::vector<std::string_view> audiences;
    if (const json::value* aud = claims.if_contains("aud"); aud && aud->is_array()) {
        for (const json::value& a : aud->get_array()) {
            if (!a.is_string()) {
                c.aud.all_strings = false;
                break;
            }
            audiences.emplace_back(a.get_string());
        }
        c.audiences.dom = audiences;
    }
    return check_registered(c, v);
}

}  // namespace bulwark::jwt
