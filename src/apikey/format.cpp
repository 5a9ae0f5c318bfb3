// The key format: bk_<id>_<secret><checksum>, base62, with a CRC32 checksum in base62.
// The checksum is not a security control (anyone can compute it); it lets scanners and the
// parser tell a real key from a typo or noise before the database is asked.
#include "format.hpp"

namespace bulwark::apikey {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool is_base62(std::string_view s) noexcept {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
    return true;
}

}  // namespace

std::uint32_t crc32(std::string_view data) noexcept {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

std::string checksum(std::string_view body) {
    std::uint32_t value = crc32(body);
    std::string out(kChecksumLength, '0');
    for (std::size_t i = kChecksumLength; i-- > 0;) {
        out[i] = kAlphabet[value % 62];
        value /= 62;
    }
    return out;
}

std::string random_base62(std::size_t n) {
    std::string out(n, '0');
    for (char& c : out) c = kAlphabet[crypto::random_uniform(62)];  // no modulo bias
    return out;
}

std::string make_key(std::string_view id) {
    std::string body = "bk_" + std::string(id) + "_" + random_base62(kSecretLength);
    return body + checksum(body);
}

Result<ParsedKey, ApiKeyError> parse_key(std::string_view value) noexcept {
    if (value.empty()) return ApiKeyError::missing;
    if (value.size() != kKeyLength || value.substr(0, 3) != "bk_" || value[3 + kIdLength] != '_')
        return ApiKeyError::malformed;
    std::string_view id = value.substr(3, kIdLength);
    std::string_view rest = value.substr(4 + kIdLength);
    if (!is_base62(id) || !is_base62(rest)) return ApiKeyError::malformed;
    std::string_view body = value.substr(0, kKeyLength - kChecksumLength);
    std::string expected;
    try {
        expected = checksum(body);
    } catch (...) {
        return ApiKeyError::malformed;
    }
    if (expected != value.substr(kKeyLength - kChecksumLength)) return ApiKeyError::bad_checksum;
    return ParsedKey{id, value};
}

}  // namespace bulwark::apikey
