// Private to src/password: one verifier per family of stored hash. Each takes a password
// already checked for length and encoding, and a stored string already bounded in size.
#pragma once

#include <bulwark/password.hpp>

#include <optional>
#include <string_view>

namespace bulwark::password::detail {

// Argon2Hash: the parsed fields of a PHC argon2 string (salt and hash only by length).
struct Argon2Hash {
    Scheme scheme;
    std::uint32_t memory_kib;
    std::uint32_t iterations;
    std::uint32_t parallelism;
};

// parse_argon2 reads `$argon2id$v=19$m=..,t=..,p=..$salt$hash` strictly.
Result<Argon2Hash, Error> parse_argon2(std::string_view stored);
Result<void, Error> verify_argon2(std::string_view password, std::string_view stored,
                                  const Limits& limits);
Result<std::string, Error> hash_argon2id(std::string_view password, const Params& params);

Result<void, Error> verify_werkzeug(std::string_view password, std::string_view stored,
                                    const Limits& limits);
Result<void, Error> verify_bcrypt(std::string_view password, std::string_view stored,
                                  const Limits& limits);

// parse_decimal reads a canonical unsigned decimal (no sign, no leading zero, fits 32 bits).
std::optional<std::uint32_t> parse_decimal(std::string_view text);

}  // namespace bulwark::password::detail
