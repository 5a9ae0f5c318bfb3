// resolve_client: the client address and scheme behind trusted reverse proxies.
//
// Each proxy appends the address it received the request from, so the list reads
// client, proxy1, proxy2, ... and only the entries appended by proxies we trust are true.
// Walking right to left from the socket peer, every trusted address vouches for the entry
// to its left; the first untrusted address is the client. Anything left of it was written
// by the client and is never read. A value we cannot read (garbage, "unknown", an
// obfuscated identifier) stops the walk at the nearest trusted hop, which is an address the
// client did not choose. See RFC 7239 §5.2 and the OWASP note on X-Forwarded-For spoofing.
#include <bulwark/config.hpp>

#include <string>

namespace bulwark::config {

namespace {

struct Hop {
    std::optional<IpAddress> ip;       // nullopt: unreadable, unknown or obfuscated
    std::optional<Scheme> proto;       // Forwarded only: the element's proto=
};

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::optional<Scheme> parse_scheme(std::string_view s) noexcept {
    s = trim(s);
    if (iequals(s, "https")) return Scheme::https;
    if (iequals(s, "http")) return Scheme::http;
    return std::nullopt;
}

bool is_port(std::string_view p) noexcept {
    if (p.empty() || p.size() > 5) return false;
    for (char c : p) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// parse_node reads one hop address: 1.2.3.4, 1.2.3.4:80, [v6], [v6]:443, and (when
// allow_bare_v6, for X-Forwarded-For) a bare v6 address. Forwarded's obfuscated ports
// (_abc) are accepted; obfuscated or "unknown" nodes are not addresses.
std::optional<IpAddress> parse_node(std::string_view s, bool allow_bare_v6) {
    s = trim(s);
    if (s.empty() || s.size() > 64) return std::nullopt;
    if (s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        auto rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            auto port = rest.substr(1);
            if (!is_port(port) && !(port.size() > 1 && port.front() == '_')) return std::nullopt;
        }
        auto ip = IpAddress::parse(s.substr(1, close - 1));
        if (!ip || ip->is_v4()) {
            // Brackets hold IPv6 only; "[1.2.3.4]" is not a form any proxy writes.
            auto inner = s.substr(1, close - 1);
            if (!ip || inner.find(':') == std::string_view::npos) return std::nullopt;
        }
        return ip;
    }
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return IpAddress::parse(s);
    if (s.find(':', colon + 1) == std::string_view::npos) {
        auto port = s.substr(colon + 1);
        if (!is_port(port) && !(port.size() > 1 && port.front() == '_')) return std::nullopt;
        auto ip = IpAddress::parse(s.substr(0, colon));
        if (!ip || !ip->is_v4()) return std::nullopt;
        return ip;
    }
    if (!allow_bare_v6) return std::nullopt;
    return IpAddress::parse(s);
}

// within_limit: false when a header family is over kMaxProxyHeaderBytes.
bool within_limit(std::span<const std::string_view> values) noexcept {
    std::size_t total = 0;
    for (auto v : values) {
        total += v.size() + 1;
        if (total > kMaxProxyHeaderBytes) return false;
    }
    return true;
}

// split_list splits comma-separated field values (several header lines count as one list).
std::optional<std::vector<std::string_view>> split_list(std::span<const std::string_view> values) {
    std::vector<std::string_view> out;
    for (auto v : values) {
        std::size_t start = 0;
        while (true) {
            auto comma = v.find(',', start);
            auto part = trim(v.substr(start, comma == std::string_view::npos ? v.npos : comma - start));
            out.push_back(part);
            if (out.size() > kMaxProxyHops) return std::nullopt;
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
    }
    return out;
}

bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
        default: return false;
    }
}

// parse_forwarded reads RFC 7239 elements strictly; any syntax error voids the header.
std::optional<std::vector<Hop>> parse_forwarded(std::span<const std::string_view> values) {
    std::string text;
    for (auto v : values) {
        if (!text.empty()) text += ',';
        text += v;
    }
    std::vector<Hop> hops;
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto skip_ows = [&] { while (i < n && is_ows(text[i])) ++i; };
    while (true) {
        skip_ows();
        if (i >= n) break;
        if (text[i] == ',') { ++i; continue; }  // empty list elements are allowed (RFC 7230 §7)
        Hop hop;
        bool seen_for = false, seen_proto = false, seen_by = false, seen_host = false;
        std::string for_value;
        while (true) {
            skip_ows();
            std::size_t name_start = i;
            while (i < n && is_tchar(text[i])) ++i;
            std::string_view name(text.data() + name_start, i - name_start);
            if (name.empty() || i >= n || text[i] != '=') return std::nullopt;
            ++i;
            std::string value;
            if (i < n && text[i] == '"') {
                ++i;
                while (true) {
                    if (i >= n) return std::nullopt;
                    char c = text[i++];
                    if (c == '"') break;
                    if (c == '\\') {
                        if (i >= n) return std::nullopt;
                        c = text[i++];
                    }
                    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return std::nullopt;
                    value += c;
                }
            } else {
                std::size_t vs = i;
                while (i < n && is_tchar(text[i])) ++i;
                if (i == vs) return std::nullopt;
                value.assign(text, vs, i - vs);
            }
            bool* seen = nullptr;
            if (iequals(name, "for")) seen = &seen_for;
            else if (iequals(name, "proto")) seen = &seen_proto;
            else if (iequals(name, "by")) seen = &seen_by;
            else if (iequals(name, "host")) seen = &seen_host;
            if (seen) {
                if (*seen) return std::nullopt;  // a parameter twice in one element (§4)
                *seen = true;
            }
            if (seen == &seen_for) for_value = value;
            if (seen == &seen_proto) {
                hop.proto = parse_scheme(value);
                if (!hop.proto) return std::nullopt;
            }
            skip_ows();
            if (i >= n || text[i] == ',') break;
            if (text[i] != ';') return std::nullopt;
            ++i;
        }
        if (seen_for) hop.ip = parse_node(for_value, /*allow_bare_v6=*/false);
        hops.push_back(std::move(hop));
        if (hops.size() > kMaxProxyHops) return std::nullopt;
        if (i < n) ++i;  // the comma
    }
    return hops;
}

struct Walk {
    std::optional<IpAddress> client;  // nullopt: stopped at an unreadable hop
    std::size_t index = 0;            // where the walk stopped
};

// walk goes right to left over hops, stepping over trusted addresses.
Walk walk(const std::vector<Hop>& hops, const TrustedProxies& trusted) {
    Walk w;
    for (std::size_t k = hops.size(); k-- > 0;) {
        w.index = k;
        if (!hops[k].ip) return w;
        w.client = hops[k].ip;
        if (!trusted.contains(*hops[k].ip)) return w;
    }
    return w;  // every hop trusted: the leftmost is the client
}

}  // namespace

ClientInfo resolve_client(const TrustedProxies& trusted, ProxyHeaders mode, const ProxyView& view) {
    ClientInfo info;
    info.scheme = view.connection_scheme;
    auto peer = IpAddress::parse(view.peer_address);
    info.address = peer ? peer->to_string() : std::string(view.peer_address.substr(0, 64));
    if (!peer || !trusted.contains(*peer)) return info;

    if (mode == ProxyHeaders::forwarded) {
        if (view.forwarded.empty() || !within_limit(view.forwarded)) return info;
        auto hops = parse_forwarded(view.forwarded);
        if (!hops || hops->empty()) return info;
        Walk w = walk(*hops, trusted);
        info.via_proxy = true;
        if (w.client) info.address = w.client->to_string();
        // The element where the walk stopped was written by a trusted proxy: its proto holds.
        if ((*hops)[w.index].proto) info.scheme = *(*hops)[w.index].proto;
        return info;
    }

    if (!within_limit(view.x_forwarded_for) || !within_limit(view.x_forwarded_proto)) return info;
    auto fors = split_list(view.x_forwarded_for);
    auto protos = split_list(view.x_forwarded_proto);
    if (!fors || !protos) return info;
    std::optional<std::size_t> stop;
    if (!view.x_forwarded_for.empty()) {
        std::vector<Hop> hops;
        hops.reserve(fors->size());
        for (auto f : *fors) hops.push_back(Hop{parse_node(f, /*allow_bare_v6=*/true), std::nullopt});
        Walk w = walk(hops, trusted);
        if (w.client) info.address = w.client->to_string();
        stop = w.index;
        info.via_proxy = true;
    }
    if (!view.x_forwarded_proto.empty() && !protos->empty()) {
        // Proxies that append to X-Forwarded-Proto keep it aligned with X-Forwarded-For;
        // otherwise the rightmost value is the one our adjacent (trusted) proxy wrote.
        std::string_view chosen = protos->back();
        if (stop && protos->size() == fors->size()) chosen = (*protos)[*stop];
        if (auto s = parse_scheme(chosen)) {
            info.scheme = *s;
            info.via_proxy = true;
        }
    }
    return info;
}

}  // namespace bulwark::config
