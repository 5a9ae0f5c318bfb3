// Strict origin parsing: anything unusual is "no origin", which never matches.
#include "origin.hpp"

#include <cstddef>

namespace bulwark::csrf::detail {
namespace {

constexpr std::size_t kMaxOrigin = 1024;
constexpr std::size_t kMaxUrl = 8192;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == '~';
}

bool is_ipv6_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
}

// parse_authority reads "host[:port]" (no userinfo) with the scheme's default port.
std::optional<Origin> parse_authority(std::string scheme, std::string_view authority) {
    if (authority.empty()) return std::nullopt;
    Origin o;
    o.scheme = std::move(scheme);
    std::string_view port_text;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close < 2) return std::nullopt;
        for (char c : authority.substr(1, close - 1))
            if (!is_ipv6_char(c)) return std::nullopt;
        o.host.assign(authority.substr(0, close + 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port_text = rest.substr(1);
            if (port_text.empty()) return std::nullopt;
        }
    } else {
        const auto colon = authority.find(':');
        const auto host = authority.substr(0, colon);
        if (host.empty() || host.front() == '.' ) return std::nullopt;
        for (char c : host)
            if (!is_host_char(c)) return std::nullopt;
        o.host.assign(host);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            if (port_text.empty()) return std::nullopt;
        }
    }
    for (char& c : o.host) c = lower(c);
    if (!port_text.empty()) {
        if (port_text.size() > 5) return std::nullopt;
        unsigned port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return std::nullopt;
            port = port * 10 + static_cast<unsigned>(c - '0');
        }
        if (port == 0 || port > 65535) return std::nullopt;
        o.port = port;
    } else {
        o.port = o.scheme == "https" ? 443 : 80;
    }
    return o;
}

// split_scheme reads "http://" or "https://" (any case) and returns the rest.
std::optional<std::string> split_scheme(std::string_view& text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || sep > 5) return std::nullopt;
    std::string scheme;
    for (char c : text.substr(0, sep)) scheme += lower(c);
    if (scheme != "http" && scheme != "https") return std::nullopt;
    text.remove_prefix(sep + 3);
    return scheme;
}

}  // namespace

std::optional<Origin> parse_origin(std::string_view text) {
    if (text.size() > kMaxOrigin) return std::nullopt;
    auto scheme = split_scheme(text);
    if (!scheme) return std::nullopt;
    return parse_authority(std::move(*scheme), text);
}

std::optional<Origin> origin_of_url(std::string_view url) {
    if (url.size() > kMaxUrl) return std::nullopt;
    auto scheme = split_scheme(url);
    if (!scheme) return std::nullopt;
    const auto end = url.find_first_of("/?#");
    const auto authority = url.substr(0, end);
    // Userinfo ("https://trusted.com@evil.com/") is refused outright rather than parsed.
    if (authority.find('@') != std::string_view::npos) return std::nullopt;
    return parse_authority(std::move(*scheme), authority);
}

std::optional<Origin> own_origin(bool is_https, std::string_view host) {
    if (host.size() > kMaxOrigin) return std::nullopt;
    return parse_authority(is_https ? "https" : "http", host);
}

}  // namespace bulwark::csrf::detail
