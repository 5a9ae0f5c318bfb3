// headers.cpp: response fields for a decision. X-RateLimit-* as Flask-Limiter sends them;
// RateLimit and RateLimit-Policy as draft-ietf-httpapi-ratelimit-headers (-08 and later)
// writes them: structured-field items named by the policy, q = quota, w = window (s),
// r = remaining, t = seconds until reset.
#include <bulwark/ratelimit.hpp>

namespace bulwark::ratelimit {
namespace {

// policy_token keeps the policy name a valid sf-string (printable ASCII, no quote or backslash).
std::string sf_string(std::string_view name) {
    std::string out = "\"";
    for (char c : name.substr(0, 64))
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') out.push_back(c);
    out.push_back('"');
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> headers(const Decision& d, const HeaderOptions& o) {
    std::vector<std::pair<std::string, std::string>> out;
    if (d.limit > 0 && o.x_ratelimit) {
        out.emplace_back("X-RateLimit-Limit", std::to_string(d.limit));
        out.emplace_back("X-RateLimit-Remaining", std::to_string(d.remaining));
        out.emplace_back("X-RateLimit-Reset",
                         std::to_string(o.x_reset_as_unix_time ? d.reset_at : d.reset.count()));
    }
    if (d.limit > 0 && o.ietf) {
        const std::string name = sf_string(o.policy_name);
        out.emplace_back("RateLimit-Policy", name + ";q=" + std::to_string(d.limit) + ";w=" +
                                                 std::to_string(d.window.count()));
        out.emplace_back("RateLimit", name + ";r=" + std::to_string(d.remaining) + ";t=" +
                                          std::to_string(d.reset.count()));
    }
    if (!d.allowed)
        out.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, d.retry_after.count())));
    return out;
}

}  // namespace bulwark::ratelimit
