// Private: the allocation-free core of JWS compact verification, shared by verify_compact
// (which then builds the header DOM its callers asked for) and Manager::verify (which reads the
// claims with an ObjectReader and builds no DOM unless the token carries custom claims).
#pragma once

#include "object_reader.hpp"

#include <array>
#include <optional>

namespace bulwark::jwt {

// decode_base64url: crypto::base64url_decode's strict, canonical decoding into out; the
// decoded size, or nullopt when the text is bad or does not fit.
std::optional<std::size_t> decode_base64url(std::string_view text, std::uint8_t* out,
                                            std::size_t capacity) noexcept;

// DecodedToken: the decoded header and payload of one token (on the caller's stack).
struct DecodedToken {
    std::array<std::uint8_t, kMaxTokenSize> bytes;
    std::string_view header_json;
    std::string_view payload_json;
    std::string_view kid;  // in `header`'s arena: valid until it reads again
};

// verify_token: verify_compact's checks and their order, without a DOM. header is left
// holding the header's members.
Result<void, JwtError> verify_token(std::string_view untrusted_token, const KeySet& keys,
                                    ObjectReader& header, DecodedToken& out) noexcept;

}  // namespace bulwark::jwt
