// bcrypt `$2a$`, `$2b$` and `$2y$` through libxcrypt, for apps migrating from bcrypt. Never
// used for new hashes. bcrypt reads only 72 bytes of a password; a longer one is refused
// rather than silently truncated (two passwords sharing 72 bytes must not both verify).
#include "schemes.hpp"

#include <bulwark/crypto.hpp>

#include <crypt.h>

#include <memory>
#include <string>

namespace bulwark::password::detail {
namespace {

constexpr std::size_t kBcryptLength = 60;  // $2b$ cc $ 22 salt + 31 hash

bool bcrypt_alphabet(char c) {
    return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

}  // namespace

Result<void, Error> verify_bcrypt(std::string_view password, std::string_view stored,
                                  const Limits& limits) {
    if (stored.size() < 4 || stored[0] != '$' || stored[1] != '2') return Error::malformed_hash;
    const char variant = stored[2];
    if (variant == 'x' || variant == '$') return Error::unsupported_scheme;  // buggy/ancient
    if ((variant != 'a' && variant != 'b' && variant != 'y') || stored[3] != '$')
        return Error::malformed_hash;
    if (stored.size() != kBcryptLength || stored[6] != '$') return Error::malformed_hash;
    // The cost is always two digits ("04"), so it is read here rather than by parse_decimal.
    const bool two_digits = stored[4] >= '0' && stored[4] <= '3' && stored[5] >= '0' && stored[5] <= '9';
    if (!two_digits) return Error::malformed_hash;
    const unsigned rounds = static_cast<unsigned>((stored[4] - '0') * 10 + (stored[5] - '0'));
    if (rounds < 4 || rounds > 31) return Error::malformed_hash;
    for (char c : stored.substr(7))
        if (!bcrypt_alphabet(c)) return Error::malformed_hash;
    if (rounds > limits.bcrypt_max_cost) return Error::cost_too_high;
    if (password.size() > kBcryptMaxPasswordBytes) return Error::bcrypt_password_too_long;

    // crypt_data is ~32 KiB: keep it off the stack of a worker thread.
    auto data = std::make_unique<crypt_data>();
    const std::string phrase(password);  // NUL already refused by the caller
    const std::string setting(stored);
    const char* out = crypt_rn(phrase.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
    Result<void, Error> result = Error::mismatch;
    if (out == nullptr || out[0] == '*') {
        result = Error::malformed_hash;  // libxcrypt refused the setting
    } else if (crypto::equal(std::string_view{out}, stored)) {
        result = Result<void, Error>{};
    }
    crypto::wipe(data.get(), sizeof(crypt_data));
    return result;
}

}  // namespace bulwark::password::detail
