// HMAC from precomputed key states. OpenSSL 3.0's EVP interfaces allocate a fresh context for
// every copy (EVP_MAC_CTX_dup, EVP_MD_CTX_copy_ex), which cost more than the hash itself for a
// token-sized input; its SHA contexts are plain structs, copied for free, and run the same
// assembly (SHA-NI where the CPU has it). They are deprecated for general use, not removed, so
// this one file opts in to them.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "hmac_state.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace bulwark::jwt {

struct HmacState::States {
    Algorithm alg;
    SHA256_CTX inner256, outer256;  // HS256
    SHA512_CTX inner512, outer512;  // HS384 and HS512 (SHA-384 is SHA-512 with other IVs)
};

namespace {

constexpr std::size_t kMaxBlock = 128;

std::size_t block_size(Algorithm alg) { return alg == Algorithm::hs256 ? 64 : 128; }

std::size_t digest_size(Algorithm alg) {
    return alg == Algorithm::hs256 ? 32 : alg == Algorithm::hs384 ? 48 : 64;
}

void start(Algorithm alg, SHA256_CTX& c256, SHA512_CTX& c512) {
    if (alg == Algorithm::hs256) SHA256_Init(&c256);
    else if (alg == Algorithm::hs384) SHA384_Init(&c512);
    else SHA512_Init(&c512);
}

void update(Algorithm alg, SHA256_CTX& c256, SHA512_CTX& c512, const void* data, std::size_t n) {
    if (alg == Algorithm::hs256) SHA256_Update(&c256, data, n);
    else SHA512_Update(&c512, data, n);  // SHA384_Update is the same function
}

void finish(Algorithm alg, SHA256_CTX& c256, SHA512_CTX& c512, std::uint8_t* out) {
    if (alg == Algorithm::hs256) SHA256_Final(out, &c256);
    else if (alg == Algorithm::hs384) SHA384_Final(out, &c512);
    else SHA512_Final(out, &c512);
}

}  // namespace

HmacState::HmacState(Algorithm alg, crypto::ByteView key) : states_(std::make_unique<States>()) {
    if (alg != Algorithm::hs256 && alg != Algorithm::hs384 && alg != Algorithm::hs512)
        throw std::invalid_argument("jwt: HmacState needs HS256/384/512");
    States& s = *states_;
    s.alg = alg;
    const std::size_t block = block_size(alg);
    std::uint8_t k[kMaxBlock] = {};
    if (key.size() > block) {  // RFC 2104 §2: longer keys are hashed first
        SHA256_CTX c256;
        SHA512_CTX c512;
        start(alg, c256, c512);
        update(alg, c256, c512, key.data(), key.size());
        finish(alg, c256, c512, k);
        OPENSSL_cleanse(&c256, sizeof c256);
        OPENSSL_cleanse(&c512, sizeof c512);
    } else if (!key.empty()) {
        std::copy(key.begin(), key.end(), k);
    }
    std::uint8_t pad[kMaxBlock];
    for (std::size_t i = 0; i < block; ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x36);
    start(alg, s.inner256, s.inner512);
    update(alg, s.inner256, s.inner512, pad, block);
    for (std::size_t i = 0; i < block; ++i) pad[i] = static_cast<std::uint8_t>(k[i] ^ 0x5c);
    start(alg, s.outer256, s.outer512);
    update(alg, s.outer256, s.outer512, pad, block);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(k, sizeof k);
}

HmacState::~HmacState() {
    if (states_) OPENSSL_cleanse(states_.get(), sizeof(States));
}

std::size_t HmacState::mac(crypto::ByteView data, std::uint8_t (&out)[kMaxMacSize]) const noexcept {
    const States& s = *states_;
    const Algorithm alg = s.alg;
    std::uint8_t inner_digest[kMaxMacSize];
    std::size_t n = digest_size(alg);
    if (alg == Algorithm::hs256) {
        SHA256_CTX c = s.inner256;
        SHA256_Update(&c, data.data(), data.size());
        SHA256_Final(inner_digest, &c);
        c = s.outer256;
        SHA256_Update(&c, inner_digest, n);
        SHA256_Final(out, &c);
        crypto::wipe(&c, sizeof c);
    } else {
        SHA512_CTX c = s.inner512;
        SHA512_Update(&c, data.data(), data.size());
        if (alg == Algorithm::hs384) SHA384_Final(inner_digest, &c);
        else SHA512_Final(inner_digest, &c);
        c = s.outer512;
        SHA512_Update(&c, inner_digest, n);
        if (alg == Algorithm::hs384) SHA384_Final(out, &c);
        else SHA512_Final(out, &c);
        crypto::wipe(&c, sizeof c);
    }
    // sodium_memzero (explicit_bzero): OPENSSL_cleanse's byte loop cost more than this HMAC's
    // bookkeeping on every token.
    crypto::wipe(inner_digest, n);
    return n;
}

}  // namespace bulwark::jwt
