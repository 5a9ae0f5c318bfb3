// keys.cpp: the key helpers. Addresses are normalized (IPv6 grouped by prefix, IPv4-mapped
// unwrapped) so that one client cannot spread its hits over many spellings or addresses.
#include <bulwark/crypto.hpp>
#include <bulwark/ratelimit.hpp>

#include "internal.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace bulwark::ratelimit {
namespace {

constexpr std::size_t kMaxPlainPart = 128;

// safe_part passes short, printable values through and hashes the rest, so no value can
// reach a separator, a control character or an unbounded length in a store key.
std::string safe_part(std::string_view v) {
    std::string out;
    detail::append_safe_part(out, v);
    return out;
}

}  // namespace

void detail::append_safe_part(std::string& out, std::string_view v) {
    bool plain = v.size() <= kMaxPlainPart && !v.empty() && v.front() != '#';
    for (char c : v)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '|' || c == 0x7f) plain = false;
    if (plain) {
        out.append(v);
        return;
    }
    auto digest = crypto::sha256(crypto::as_bytes(v));
    out.push_back('#');
    out.append(crypto::hex_encode(crypto::ByteView(digest.data(), 16)));
}

std::string address_key(std::string_view client_address, int ipv6_prefix) {
    if (client_address.size() > 64) return "ip:invalid";
    std::string text(client_address);
    // "[v6]" and a zone ("fe80::1%eth0") are accepted; the zone is dropped.
    if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
    char buf[INET6_ADDRSTRLEN] = {};
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        inet_ntop(AF_INET, &v4, buf, sizeof buf);
        return std::string("ip4:") + buf;
    }
    std::array<unsigned char, 16> v6{};
    if (inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return "ip:invalid";
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.data(), kMapped, 12) == 0) {
        std::memcpy(&v4, v6.data() + 12, 4);
        inet_ntop(AF_INET, &v4, buf, sizeof buf);
        return std::string("ip4:") + buf;
    }
    const int bits = std::clamp(ipv6_prefix, 1, 128);
    for (int i = 0; i < 16; ++i) {
        const int keep = std::clamp(bits - i * 8, 0, 8);
        v6[static_cast<std::size_t>(i)] &= static_cast<unsigned char>(0xff00 >> keep);
    }
    inet_ntop(AF_INET6, v6.data(), buf, sizeof buf);
    return std::string("ip6:") + buf + "/" + std::to_string(bits);
}

std::string user_key(std::string_view user_id) { return "user:" + safe_part(user_id); }
std::string api_key_key(std::string_view key_id) { return "apikey:" + safe_part(key_id); }
std::string jwt_key(std::string_view subject) { return "jwt:" + safe_part(subject); }
std::string custom_key(std::string_view name, std::string_view value) {
    return safe_part(name) + ":" + safe_part(value);
}

}  // namespace bulwark::ratelimit
