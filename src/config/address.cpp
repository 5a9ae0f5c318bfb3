// IP addresses, CIDR networks and the TRUSTED_PROXIES list. Parsing leans on inet_pton,
// which accepts only the canonical textual forms (no octal, no shorthand IPv4 such as
// "127.1"), so an address cannot be written two ways to slip past a match.
#include <bulwark/config.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace bulwark::config {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool parse_prefix(std::string_view text, unsigned max, unsigned& out) {
    if (text.empty() || text.size() > 3) return false;
    if (text.size() > 1 && text[0] == '0') return false;
    unsigned v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

bool is_list_separator(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
    char buf[46];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddress ip;
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf, ip.bytes_.data()) != 1) return std::nullopt;
        ip.v4_ = true;
        return ip;
    }
    std::array<std::uint8_t, 16> raw{};
    if (inet_pton(AF_INET6, buf, raw.data()) != 1) return std::nullopt;
    if (std::memcmp(raw.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0) {
        // ::ffff:a.b.c.d is how a dual-stack socket reports an IPv4 peer: one address, one form.
        std::memcpy(ip.bytes_.data(), raw.data() + 12, 4);
        ip.v4_ = true;
        return ip;
    }
    ip.bytes_ = raw;
    ip.v4_ = false;
    return ip;
}

std::string IpAddress::to_string() const {
    char buf[64];
    const char* r = inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
    return r ? std::string(r) : std::string();
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    std::string_view addr = text;
    std::string_view prefix_text;
    bool has_prefix = false;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        addr = text.substr(0, slash);
        prefix_text = text.substr(slash + 1);
        has_prefix = true;
    }
    auto ip = IpAddress::parse(addr);
    if (!ip) return std::nullopt;
    const bool written_v6 = addr.find(':') != std::string_view::npos;
    unsigned prefix = ip->is_v4() ? 32 : 128;
    if (has_prefix && !parse_prefix(prefix_text, written_v6 ? 128 : 32, prefix)) return std::nullopt;
    if (written_v6 && ip->is_v4()) {
        // An IPv4-mapped network: only meaningful inside the mapped /96.
        if (prefix < 96) return std::nullopt;
        prefix -= 96;
    }
    Cidr c{*ip, prefix};
    // Host bits set (10.0.0.1/8) is refused: it is usually a typo for a single address.
    const auto& b = ip->bytes();
    const unsigned total = ip->is_v4() ? 32 : 128;
    for (unsigned bit = prefix; bit < total; ++bit) {
        if (b[bit / 8] & (0x80u >> (bit % 8))) return std::nullopt;
    }
    return c;
}

bool Cidr::contains(const IpAddress& ip) const noexcept {
    if (ip.is_v4() != network.is_v4()) return false;
    const auto& a = ip.bytes();
    const auto& n = network.bytes();
    unsigned full = prefix / 8;
    if (std::memcmp(a.data(), n.data(), full) != 0) return false;
    unsigned rest = prefix % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
    return (a[full] & mask) == (n[full] & mask);
}

std::optional<TrustedProxies> TrustedProxies::parse(std::string_view text) {
    TrustedProxies out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_list_separator(text[i])) ++i;
        std::size_t start = i;
        while (i < text.size() && !is_list_separator(text[i])) ++i;
        if (start == i) break;
        if (out.nets_.size() >= kMaxEntries) return std::nullopt;
        auto c = Cidr::parse(text.substr(start, i - start));
        if (!c) return std::nullopt;
        out.nets_.push_back(*c);
    }
    return out;
}

bool TrustedProxies::contains(const IpAddress& ip) const noexcept {
    for (const auto& n : nets_) {
        if (n.contains(ip)) return true;
    }
    return false;
}

}  // namespace bulwark::config
