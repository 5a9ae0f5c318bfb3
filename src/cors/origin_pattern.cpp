// Origin patterns and header-list parsing: the two places where a lenient parser would let
// more through than the configuration says.
#include <bulwark/cors.hpp>

#include <algorithm>

namespace bulwark::cors {
namespace {

constexpr std::size_t kMaxOrigin = 1024;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// is_label: one DNS label in the lower case a browser serialises (LDH, 1..63, no edge hyphen).
bool is_label(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

bool is_host(std::string_view h) {
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']')
        return std::all_of(h.begin() + 1, h.end() - 1,
                           [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'; });
    if (h.empty() || h.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const auto dot = h.find('.', start);
        if (!is_label(h.substr(start, dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool is_scheme(std::string_view s) {
    if (s.empty() || s.size() > 32 || !(s.front() >= 'a' && s.front() <= 'z')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) || c == '+' || c == '-' || c == '.'; });
}

bool is_port(std::string_view p) {
    if (p.empty() || p.size() > 5 || p.front() == '0') return false;
    if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    unsigned long value = 0;
    for (char c : p) value = value * 10 + static_cast<unsigned long>(c - '0');
    return value <= 65535;
}

struct Parts {
    std::string_view scheme, host, port;
};

// split reads "scheme://host[:port]" with nothing else: no path, userinfo, query or slash.
std::optional<Parts> split(std::string_view s) {
    if (s.size() > kMaxOrigin) return std::nullopt;
    const auto sep = s.find("://");
    if (sep == std::string_view::npos) return std::nullopt;
    Parts p;
    p.scheme = s.substr(0, sep);
    auto rest = s.substr(sep + 3);
    const auto colon = rest.starts_with('[') ? rest.find(':', rest.find(']')) : rest.rfind(':');
    p.host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
        p.port = rest.substr(colon + 1);
        if (!is_port(p.port)) return std::nullopt;
    }
    if (!is_scheme(p.scheme)) return std::nullopt;
    return p;
}

bool is_default_port(std::string_view scheme, std::string_view port) {
    return (scheme == "https" && port == "443") || (scheme == "http" && port == "80");
}

bool is_tchar(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<OriginPattern> OriginPattern::parse(std::string_view configured) {
    const auto parts = split(configured);
    if (!parts) return std::nullopt;
    OriginPattern p;
    p.scheme_ = std::string(parts->scheme);
    // Browsers serialise origins without the default port, so ":443" could never match: refuse it.
    if (is_default_port(parts->scheme, parts->port)) return std::nullopt;
    p.port_ = std::string(parts->port);
    auto host = parts->host;
    if (host.starts_with("*.")) {
        host.remove_prefix(1);  // keep the leading dot: the suffix to match
        // At least two labels after "*.": "*.com" would match half the internet.
        if (!is_host(host.substr(1)) || host.substr(1).find('.') == std::string_view::npos) return std::nullopt;
        p.wildcard_ = true;
    } else if (!is_host(host)) {
        return std::nullopt;
    }
    p.host_ = std::string(host);
    return p;
}

bool OriginPattern::matches(std::string_view untrusted_origin) const noexcept {
    if (untrusted_origin.size() > kMaxOrigin) return false;
    if (!wildcard_) {
        // Exact: compare the whole serialisation, byte for byte.
        const std::size_t want = scheme_.size() + 3 + host_.size() + (port_.empty() ? 0 : 1 + port_.size());
        if (untrusted_origin.size() != want) return false;
        std::string_view rest = untrusted_origin;
        if (!rest.starts_with(scheme_)) return false;
        rest.remove_prefix(scheme_.size());
        if (!rest.starts_with("://")) return false;
        rest.remove_prefix(3);
        if (!rest.starts_with(host_)) return false;
        rest.remove_prefix(host_.size());
        if (port_.empty()) return rest.empty();
        return rest.size() == port_.size() + 1 && rest.front() == ':' && rest.substr(1) == port_;
    }
    const auto parts = split(untrusted_origin);
    if (!parts || parts->scheme != scheme_ || parts->port != port_) return false;
    const auto host = parts->host;
    if (host.size() <= host_.size() || !host.ends_with(host_)) return false;
    // What the `*` stands for must be exactly one label: no dot, LDH only.
    return is_label(host.substr(0, host.size() - host_.size()));
}

std::optional<std::vector<std::string>> parse_header_list(std::string_view list) {
    if (list.size() > kMaxHeaderListBytes) return std::nullopt;
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        auto end = list.find(',', start);
        if (end == std::string_view::npos) end = list.size();
        auto item = list.substr(start, end - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) {
            if (!std::all_of(item.begin(), item.end(), is_tchar) || out.size() >= kMaxHeaderListNames)
                return std::nullopt;
            std::string name(item);
            for (char& c : name)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            out.push_back(std::move(name));
        }
        start = end + 1;
    }
    return out;
}

}  // namespace bulwark::cors
