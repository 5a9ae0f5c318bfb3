// HTTPS enforcement. The Location of a redirect is attacker-influenced only through Host, so
// Host must pass strict syntax (and the allowlist) or there is no redirect at all: a bad Host
// never becomes an open redirect or a poisoned cache entry.
#include <bulwark/headers.hpp>

#include <algorithm>

namespace bulwark::headers {
namespace {

constexpr std::size_t kMaxHost = 255;
constexpr std::size_t kMaxTarget = 8192;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// strict_host returns the lower-cased host (no port) when `authority` is
// reg-name[:port] (letters, digits, '-', '.', labels 1..63) or [IPv6][:port].
std::optional<std::string> strict_host(std::string_view authority) {
    if (authority.empty() || authority.size() > kMaxHost) return std::nullopt;
    std::string_view host = authority;
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close < 3) return std::nullopt;
        host = authority.substr(0, close + 1);
        for (char c : host.substr(1, host.size() - 2)) {
            const bool hex = (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
            if (!hex && c != ':' && c != '.') return std::nullopt;
        }
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.find(':');
        if (colon != std::string_view::npos) {
            host = authority.substr(0, colon);
            port = authority.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
        if (host.empty() || host.front() == '.' || host.back() == '.' ) return std::nullopt;
        std::size_t label = 0;
        for (char c : host) {
            if (c == '.') {
                if (label == 0) return std::nullopt;
                label = 0;
                continue;
            }
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok || ++label > 63) return std::nullopt;
        }
    }
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::string out(host);
    for (char& c : out) c = lower(c);
    return out;
}

bool allowed(const RedirectPolicy& policy, std::string_view host) {
    if (policy.allowed_hosts.empty()) return true;
    return std::any_of(policy.allowed_hosts.begin(), policy.allowed_hosts.end(), [&](const std::string& a) {
        if (!a.empty() && a.front() == '.') {
            // ".example.com" matches example.com and any subdomain, never "evilexample.com".
            return host == std::string_view(a).substr(1) ||
                   (host.size() > a.size() && host.ends_with(a));
        }
        return host == a;
    });
}

// safe_target keeps an origin-form target of visible ASCII; anything else becomes "/".
std::string_view safe_target(std::string_view target) {
    if (target.empty() || target.front() != '/' || target.size() > kMaxTarget) return "/";
    const bool ok = std::all_of(target.begin(), target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != '\\';
    });
    return ok ? target : "/";
}

}  // namespace

std::string_view redirect_error_name(RedirectError e) noexcept {
    switch (e) {
        case RedirectError::bad_host: return "bad_host";
        case RedirectError::host_not_allowed: return "host_not_allowed";
    }
    return "unknown";
}

Result<std::optional<Redirect>, RedirectError> https_redirect(std::string_view method,
                                                              std::string_view untrusted_host,
                                                              std::string_view target, bool is_https,
                                                              Environment env, const RedirectPolicy& policy) {
    if (is_https || env != Environment::production) return std::optional<Redirect>{};
    const auto host = strict_host(untrusted_host);
    if (!host) return RedirectError::bad_host;
    if (!allowed(policy, *host)) return RedirectError::host_not_allowed;
    Redirect r;
    // 301 may turn a POST into a GET; 308 keeps method and body (RFC 9110 §15.4).
    r.status = (method == "GET" || method == "HEAD") ? 301 : 308;
    const auto path = safe_target(target);
    r.location.reserve(8 + host->size() + 6 + path.size());
    r.location.append("https://").append(*host);
    if (policy.https_port && *policy.https_port != 443 && *policy.https_port != 0 && *policy.https_port <= 65535)
        r.location.append(":").append(std::to_string(*policy.https_port));
    r.location.append(path);
    return std::optional<Redirect>{std::move(r)};
}

}  // namespace bulwark::headers
