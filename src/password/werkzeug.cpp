// Werkzeug's `method$salt$hash` strings, so a Flask app's users keep their passwords:
//   pbkdf2:<hashlib name>:<iterations>$salt$hex   (werkzeug.security, every version since 0.9)
//   scrypt:<n>:<r>:<p>$salt$hex                   (Werkzeug 3.0's default, 64-byte key)
// The salt is used as its ASCII text, not decoded; the hash is lower-case hex.
// Werkzeug's unsalted and plain-HMAC methods are refused as unsupported: they are too weak to
// keep accepting.
#include "schemes.hpp"

#include <bulwark/crypto.hpp>

#include <openssl/evp.h>

#include <string>

namespace bulwark::password::detail {
namespace {

constexpr std::size_t kMaxSalt = 128;
constexpr std::size_t kScryptKeyBytes = 64;

bool werkzeug_salt(std::string_view salt) {
    if (salt.empty() || salt.size() > kMaxSalt) return false;
    for (char c : salt)
        if (c < 0x21 || c > 0x7e || c == '$') return false;
    return true;
}

// split reads `a:b:c` into at most `n` fields; nullopt when the count differs.
std::optional<std::vector<std::string_view>> split(std::string_view text, char sep, std::size_t n) {
    std::vector<std::string_view> out;
    while (true) {
        const auto at = text.find(sep);
        out.push_back(text.substr(0, at));
        if (out.size() > n) return std::nullopt;
        if (at == std::string_view::npos) break;
        text.remove_prefix(at + 1);
    }
    if (out.size() != n) return std::nullopt;
    return out;
}

const EVP_MD* pbkdf2_digest(std::string_view name) {
    if (name == "sha1") return EVP_sha1();
    if (name == "sha224") return EVP_sha224();
    if (name == "sha256") return EVP_sha256();
    if (name == "sha384") return EVP_sha384();
    if (name == "sha512") return EVP_sha512();
    return nullptr;
}

Result<void, Error> compare(const crypto::Bytes& computed, const crypto::Bytes& expected) {
    return crypto::equal(computed, expected) ? Result<void, Error>{} : Result<void, Error>{Error::mismatch};
}

}  // namespace

Result<void, Error> verify_werkzeug(std::string_view password, std::string_view stored,
                                    const Limits& limits) {
    const auto parts = split(stored, '$', 3);
    if (!parts) return Error::malformed_hash;
    const std::string_view method = (*parts)[0], salt = (*parts)[1], hex = (*parts)[2];
    if (!method.starts_with("pbkdf2:") && !method.starts_with("scrypt:")) {
        // Werkzeug's other methods ("plain", "sha1", "md5", ...) are names of letters and digits.
        for (char c : method)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                return Error::malformed_hash;
        return method.empty() ? Error::malformed_hash : Error::unsupported_scheme;
    }
    if (!werkzeug_salt(salt)) return Error::malformed_hash;
    auto expected = crypto::hex_decode(hex);
    if (!expected || expected->empty()) return Error::malformed_hash;

    if (method.starts_with("pbkdf2:")) {
        const auto args = split(method.substr(7), ':', 2);
        // Without an iteration count the string means "that Werkzeug's default": unknowable.
        if (!args) return split(method.substr(7), ':', 1) ? Error::unsupported_scheme
                                                          : Error::malformed_hash;
        const EVP_MD* md = pbkdf2_digest((*args)[0]);
        if (md == nullptr) return Error::unsupported_scheme;
        const auto iterations = parse_decimal((*args)[1]);
        if (!iterations || *iterations == 0) return Error::malformed_hash;
        if (*iterations > limits.pbkdf2_max_iterations) return Error::cost_too_high;
        if (expected->size() != static_cast<std::size_t>(EVP_MD_get_size(md)))
            return Error::malformed_hash;
        crypto::Bytes computed(expected->size());
        if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), static_cast<int>(*iterations), md,
                              static_cast<int>(computed.size()), computed.data()) != 1)
            return Error::internal;
        auto r = compare(computed, *expected);
        crypto::wipe(computed.data(), computed.size());
        return r;
    }

    if (method.starts_with("scrypt:")) {
        const auto args = split(method.substr(7), ':', 3);
        if (!args) return Error::malformed_hash;
        const auto n = parse_decimal((*args)[0]);
        const auto r = parse_decimal((*args)[1]);
        const auto p = parse_decimal((*args)[2]);
        if (!n || !r || !p || *n < 2 || (*n & (*n - 1)) != 0 || *r == 0 || *p == 0)
            return Error::malformed_hash;
        const std::uint64_t memory = 128ull * *n * *r;
        if (memory > limits.scrypt_max_memory_bytes || *p > limits.scrypt_max_p)
            return Error::cost_too_high;
        if (expected->size() != kScryptKeyBytes) return Error::malformed_hash;
        crypto::Bytes computed(kScryptKeyBytes);
        // maxmem covers V (128 r N) plus B (128 r p) and OpenSSL's bookkeeping.
        const std::uint64_t maxmem = memory + 128ull * *r * *p + (1u << 20);
        if (EVP_PBE_scrypt(password.data(), password.size(),
                           reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), *n, *r,
                           *p, maxmem, computed.data(), computed.size()) != 1)
            return Error::internal;
        auto result = compare(computed, *expected);
        crypto::wipe(computed.data(), computed.size());
        return result;
    }

    return Error::malformed_hash;  // unreachable: the prefix was checked above
}

}  // namespace bulwark::password::detail
