// Private: the shared state behind jwt::Key and the OpenSSL helpers around it.
#pragma once

#include <bulwark/jwt.hpp>

#include <openssl/evp.h>

#include <memory>

namespace bulwark::jwt {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MacCtxFree {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};

struct Key::Impl {
    Algorithm alg = Algorithm::hs256;
    std::string kid;
    crypto::SecretBytes secret;  // HMAC only
    const EVP_MD* md = nullptr;  // HMAC only (static EVP_sha* objects)
    // HMAC only: a context already keyed, duplicated per call so the key schedule and the
    // algorithm fetch are paid once, not per token.
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> mac_template;
    PkeyPtr pkey;                // asymmetric only
    bool has_private = false;
};

bool is_hmac(Algorithm a) noexcept;
// check_asymmetric throws std::invalid_argument unless pkey suits alg (type, size, curve).
void check_asymmetric(Algorithm alg, EVP_PKEY* pkey);
std::shared_ptr<Key::Impl> make_asymmetric(Algorithm alg, PkeyPtr pkey, bool has_private,
                                           std::string kid);

}  // namespace bulwark::jwt
