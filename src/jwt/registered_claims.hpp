// Private: the registered claims (RFC 7519 §4.1) as plain values, read either from the DOM
// (validate_claims) or from the ObjectReader (Manager::verify), and checked by one function,
// so both paths refuse exactly the same tokens.
#pragma once

#include "object_reader.hpp"

#include <span>

namespace bulwark::jwt {

// Audiences: aud's elements when it is an array of strings, from either reader.
struct Audiences {
    const ObjectReader* reader = nullptr;  // elements first .. first + count of aud
    std::span<const std::string_view> dom;
    bool contains(const Member& aud, std::string_view audience) const noexcept;
};

struct RegisteredClaims {
    Member exp, nbf, iat, iss, sub, jti, aud;
    Audiences audiences;
};

RegisteredClaims registered_claims(const ObjectReader& r) noexcept;
// check_registered is validate_claims on RegisteredClaims.
Result<void, JwtError> check_registered(const RegisteredClaims& c, const Validation& v) noexcept;

}  // namespace bulwark::jwt
