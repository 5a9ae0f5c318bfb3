// The per-request check: fetch metadata, then Origin / Referer, then the token.
// Order follows Go 1.25's CrossOriginProtection (Sec-Fetch-Site first, as browsers set it
// and page scripts cannot), then Django's Origin and strict-Referer checks.
#include <bulwark/csrf.hpp>

#include "origin.hpp"

#include <algorithm>

namespace bulwark::csrf {
namespace {

bool ascii_iequal(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lx = (x >= 'A' && x <= 'Z') ? x - 'A' + 'a' : x;
        const auto ly = (y >= 'A' && y <= 'Z') ? y - 'A' + 'a' : y;
        return lx == ly;
    });
}

bool is_trusted(const Policy& policy, const std::optional<detail::Origin>& own, const detail::Origin& o) {
    if (own && *own == o) return true;
    return std::any_of(policy.trusted_origins.begin(), policy.trusted_origins.end(),
                       [&](const std::string& t) {
                           const auto parsed = detail::parse_origin(t);
                           return parsed && *parsed == o;
                       });
}

}  // namespace

bool is_safe_method(std::string_view method) noexcept {
    // Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET, so it is checked.
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

void validate_policy(const Policy& policy) {
    for (const auto& t : policy.trusted_origins) {
        const bool lower = std::none_of(t.begin(), t.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        const auto parsed = detail::parse_origin(t);
        if (!parsed || !lower)
            throw ConfigError("TRUSTED_ORIGINS: '" + t +
                              "' is not an origin of the form scheme://host[:port] in lower case");
    }
}

Result<void, CsrfError> check_origin(const Policy& policy, const RequestFacts& facts) {
    const auto own = detail::own_origin(facts.is_https, facts.host);
    if (facts.sec_fetch_site) {
        const auto site = *facts.sec_fetch_site;
        if (ascii_iequal(site, "same-origin") || ascii_iequal(site, "none")) return {};
        if (ascii_iequal(site, "cross-site")) return CsrfError::cross_site;
        if (ascii_iequal(site, "same-site")) {
            // A sibling subdomain may be compromised or user-controlled: only a trusted one passes.
            if (!facts.origin) return CsrfError::cross_site;
            const auto o = detail::parse_origin(*facts.origin);
            if (!o || !is_trusted(policy, own, *o)) return CsrfError::cross_site;
            return {};
        }
        // An unknown value says nothing; fall through to Origin as if it were absent.
    }
    if (facts.origin) {
        // "null" (sandboxed frames, file:, some redirects) and anything unparsable is refused.
        const auto o = detail::parse_origin(*facts.origin);
        if (!o || !is_trusted(policy, own, *o)) return CsrfError::origin_refused;
        return {};
    }
    if (facts.is_https) {
        // No Origin over HTTPS: a man in the middle cannot forge the Referer of an HTTPS page,
        // so require it to be ours (Django's strict referer check). Over plain HTTP it proves nothing.
        if (!facts.referer || facts.referer->empty()) return CsrfError::referer_missing;
        const auto r = detail::origin_of_url(*facts.referer);
        if (!r || !is_trusted(policy, own, *r)) return CsrfError::origin_refused;
    }
    return {};
}

Result<void, CsrfError> check_request(const Policy& policy, const RequestFacts& facts) {
    if (policy.csrf_exempt || is_safe_method(facts.method)) return {};
    if (auto origin_ok = check_origin(policy, facts); !origin_ok) return origin_ok;
    const auto submitted = facts.submitted_token.value_or(std::string_view{});
    if (policy.mode == Mode::double_submit)
        return verify_double_submit(facts.double_submit_cookie.value_or(std::string_view{}), submitted);
    if (submitted.empty()) return CsrfError::missing;
    if (facts.session_secret == nullptr) return CsrfError::session_missing;
    return verify(*facts.session_secret, submitted);
}

}  // namespace bulwark::csrf
