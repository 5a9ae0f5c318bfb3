// Strict base32 (RFC 4648 §6) for TOTP secrets.
#include <bulwark/auth.hpp>

namespace bulwark::auth {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int value_of(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}
}  // namespace

std::string base32_encode(crypto::ByteView data, bool pad) {
    std::string out;
    out.reserve((data.size() + 4) / 5 * 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t byte : data) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1F]);
            bits -= 5;
        }
        buffer &= (1u << bits) - 1;
    }
    if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1F]);
    if (pad)
        while (out.size() % 8 != 0) out.push_back('=');
    return out;
}

std::optional<crypto::Bytes> base32_decode(std::string_view text) {
    if (text.size() > kMaxBase32) return std::nullopt;
    std::size_t end = text.size();
    while (end > 0 && text[end - 1] == '=') --end;
    const std::size_t padding = text.size() - end;
    if (padding > 0 && (text.size() % 8 != 0 || padding > 6)) return std::nullopt;
    // Lengths mod 8 that a whole number of bytes can produce: 0, 2, 4, 5, 7.
    const std::size_t rem = end % 8;
    if (rem == 1 || rem == 3 || rem == 6) return std::nullopt;
    if (padding > 0 && (end + padding) % 8 != 0) return std::nullopt;
    if (padding > 0) {
        static constexpr std::size_t kPadFor[8] = {0, 0, 6, 0, 4, 3, 0, 1};
        if (padding != kPadFor[rem]) return std::nullopt;
    }
    crypto::Bytes out;
    out.reserve(end * 5 / 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < end; ++i) {
        const int v = value_of(text[i]);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xFF));
            bits -= 8;
        }
        buffer &= (1u << bits) - 1;
    }
    if (buffer != 0) return std::nullopt;  // non-canonical: leftover bits must be zero
    return out;
}

}  // namespace bulwark::auth
