// Private: the allocation-free core of JWS compact verification, shared by verify_compact
// (which then builds the header DOM its callers asked for) and Manager::verify (which reads the
// claims with an ObjectReader and builds no DOM unless the token carries custom claims).
#pragma once

#include "object_reader.hpp"

#include <array>
#include <optional>

namespace bulwark::jwt {

// DecodedToken: the decoded header and payload of one token (on the caller's stack).
struct DecodedToken {
    std::array<std::uint8_t, kMaxTokenSize> bytes;
    std::string_view header_json;
    std::string_view payload_json;
    std::string_view kid;
};

// verify_token: verify_compact's checks and their order, without a DOM. `scratch` is the
// reader the header is parsed with when it is not this thread's cached header (jws.cpp); its
// contents afterwards are unspecified. out.kid is valid until this thread's next call and
// until scratch reads again.
Result<void, JwtError> verify_token(std::string_view untrusted_token, const KeySet& keys,
                                    ObjectReader& scratch, DecodedToken& out) noexcept;

}  // namespace bulwark::jwt
