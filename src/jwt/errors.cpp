// Names and 401 reasons of JwtError. The reasons are fixed strings: they never carry any
// part of the token, so a 401 body or a log line cannot leak one.
#include <bulwark/jwt.hpp>

namespace bulwark::jwt {

std::string_view error_name(JwtError e) noexcept {
    switch (e) {
        case JwtError::missing: return "missing";
        case JwtError::too_large: return "too_large";
        case JwtError::malformed: return "malformed";
        case JwtError::duplicate_name: return "duplicate_name";
        case JwtError::bad_claim: return "bad_claim";
        case JwtError::missing_claim: return "missing_claim";
        case JwtError::bad_header: return "bad_header";
        case JwtError::unsupported_crit: return "unsupported_crit";
        case JwtError::algorithm_mismatch: return "algorithm_mismatch";
        case JwtError::unknown_key: return "unknown_key";
        case JwtError::bad_signature: return "bad_signature";
        case JwtError::expired: return "expired";
        case JwtError::not_yet_valid: return "not_yet_valid";
        case JwtError::issued_in_future: return "issued_in_future";
        case JwtError::wrong_issuer: return "wrong_issuer";
        case JwtError::wrong_audience: return "wrong_audience";
        case JwtError::wrong_token_type: return "wrong_token_type";
        case JwtError::not_fresh: return "not_fresh";
        case JwtError::revoked: return "revoked";
        case JwtError::refresh_reused: return "refresh_reused";
        case JwtError::csrf_mismatch: return "csrf_mismatch";
        case JwtError::reserved_claim: return "reserved_claim";
        case JwtError::store_unavailable: return "store_unavailable";
        case JwtError::internal: return "internal";
    }
    return "unknown";
}

std::string_view error_message(JwtError e) noexcept {
    switch (e) {
        case JwtError::missing: return "Missing token";
        case JwtError::too_large: return "Token is too large";
        case JwtError::malformed: return "Malformed token";
        case JwtError::duplicate_name: return "Malformed token: duplicate member name";
        case JwtError::bad_claim: return "Malformed token: invalid claim";
        case JwtError::missing_claim: return "Token is missing a required claim";
        case JwtError::bad_header: return "Malformed token: invalid header";
        case JwtError::unsupported_crit: return "Unsupported critical header";
        case JwtError::algorithm_mismatch: return "The specified alg value is not allowed";
        case JwtError::unknown_key: return "Unknown signing key";
        case JwtError::bad_signature: return "Signature verification failed";
        case JwtError::expired: return "Token has expired";
        case JwtError::not_yet_valid: return "Token is not yet valid";
        case JwtError::issued_in_future: return "Token was issued in the future";
        case JwtError::wrong_issuer: return "Invalid issuer";
        case JwtError::wrong_audience: return "Invalid audience";
        case JwtError::wrong_token_type: return "Wrong token type";
        case JwtError::not_fresh: return "Fresh token required";
        case JwtError::revoked: return "Token has been revoked";
        case JwtError::refresh_reused: return "Refresh token reuse detected; session revoked";
        case JwtError::csrf_mismatch: return "CSRF double submit tokens do not match";
        case JwtError::reserved_claim: return "Reserved claim name";
        case JwtError::store_unavailable: return "Token could not be checked";
        case JwtError::internal: return "Token could not be processed";
    }
    return "Invalid token";
}

std::string_view algorithm_name(Algorithm a) noexcept {
    switch (a) {
        case Algorithm::hs256: return "HS256";
        case Algorithm::hs384: return "HS384";
        case Algorithm::hs512: return "HS512";
        case Algorithm::rs256: return "RS256";
        case Algorithm::ps256: return "PS256";
        case Algorithm::es256: return "ES256";
        case Algorithm::eddsa: return "EdDSA";
    }
    return "";
}

std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept {
    // Exact, case-sensitive names (RFC 7515 §4.1.1); "none" is absent on purpose.
    for (Algorithm a : {Algorithm::hs256, Algorithm::hs384, Algorithm::hs512, Algorithm::rs256,
                        Algorithm::ps256, Algorithm::es256, Algorithm::eddsa})
        if (algorithm_name(a) == name) return a;
    return std::nullopt;
}

}  // namespace bulwark::jwt
