// Private: the shared state behind jwt::Key and the OpenSSL helpers around it.
#pragma once

#include "hmac_state.hpp"

#include <bulwark/jwt.hpp>

#include <openssl/evp.h>

#include <memory>

namespace bulwark::jwt {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct Key::Impl {
    Algorithm alg = Algorithm::hs256;
    std::string kid;
    crypto::SecretBytes secret;  // HMAC only
    // HMAC only: the key schedule done once, so each token costs the hash alone.
    std::unique_ptr<const HmacState> hmac;
    PkeyPtr pkey;                // asymmetric only
    bool has_private = false;
};

bool is_hmac(Algorithm a) noexcept;
// check_asymmetric throws std::invalid_argument unless pkey suits alg (type, size, curve).
void check_asymmetric(Algorithm alg, EVP_PKEY* pkey);
std::shared_ptr<Key::Impl> make_asymmetric(Algorithm alg, PkeyPtr pkey, bool has_private,
                                           std::string kid);

}  // namespace bulwark::jwt
