// Private: HMAC (RFC 2104) with the key schedule paid once per key. The inner and outer hash
// states after the padded key block are kept, and each MAC starts from a plain copy of them:
// no allocation, no provider lookup and no key processing per token.
#pragma once

#include <bulwark/jwt.hpp>

#include <cstdint>
#include <memory>

namespace bulwark::jwt {

inline constexpr std::size_t kMaxMacSize = 64;

// HmacState: the keyed HMAC-SHA-256/384/512 of one key. Immutable after construction and
// safe to use from many threads; the key states are wiped on destruction.
class HmacState {
public:
    // Throws std::invalid_argument unless alg is HS256/384/512.
    HmacState(Algorithm alg, crypto::ByteView key);
    ~HmacState();
    HmacState(const HmacState&) = delete;
    HmacState& operator=(const HmacState&) = delete;

    // mac writes the tag of data into out and returns its length (32, 48 or 64).
    std::size_t mac(crypto::ByteView data, std::uint8_t (&out)[kMaxMacSize]) const noexcept;

private:
    struct States;
    std::unique_ptr<States> states_;
};

}  // namespace bulwark::jwt
