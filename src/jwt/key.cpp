// jwt::Key: one key, one algorithm. Construction is where weak or mismatched keys are
// refused (RFC 8725 §3.1, §3.5); signing and verification never choose an algorithm
// themselves, they use the key's.
#include "key_impl.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>

namespace bulwark::jwt {
namespace {

constexpr std::size_t kMinHmacKey = 32;
constexpr int kMinRsaBits = 2048;

struct BioFree {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// No passphrase prompts: an encrypted PEM simply fails to load.
int no_password(char*, int, int, void*) { return 0; }

const EVP_MD* digest_of(Algorithm a) {
    switch (a) {
        case Algorithm::hs256:
        case Algorithm::rs256:
        case Algorithm::ps256:
        case Algorithm::es256: return EVP_sha256();
        case Algorithm::hs384: return EVP_sha384();
        case Algorithm::hs512: return EVP_sha512();
        case Algorithm::eddsa: return nullptr;  // Ed25519 hashes internally
    }
    return nullptr;
}

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

// ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4); OpenSSL speaks DER.
crypto::Bytes der_to_raw(const unsigned char* der, std::size_t len) {
    const unsigned char* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    if (!sig) return {};
    crypto::Bytes out(64);
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    bool ok = BN_bn2binpad(r, out.data(), 32) == 32 && BN_bn2binpad(s, out.data() + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? out : crypto::Bytes{};
}

crypto::Bytes raw_to_der(crypto::ByteView raw) {
    if (raw.size() != 64) return {};
    BIGNUM* r = BN_bin2bn(raw.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(raw.data() + 32, 32, nullptr);
    ECDSA_SIG* sig = ECDSA_SIG_new();
    if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return {};
    }
    unsigned char* der = nullptr;
    int len = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (len <= 0) return {};
    crypto::Bytes out(der, der + len);
    OPENSSL_free(der);
    return out;
}

// init_digest prepares a sign or verify context with the key's one algorithm.
bool init_digest(EVP_MD_CTX* ctx, const Key::Impl& k, bool sign) {
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = digest_of(k.alg);
    int rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, k.pkey.get())
                  : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, k.pkey.get());
    if (rc != 1) return false;
    if (k.alg == Algorithm::ps256) {
        // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)
            return false;
    } else if (k.alg == Algorithm::rs256) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return false;
    }
    return true;
}

}  // namespace

bool is_hmac(Algorithm a) noexcept {
    return a == Algorithm::hs256 || a == Algorithm::hs384 || a == Algorithm::hs512;
}

void check_asymmetric(Algorithm alg, EVP_PKEY* pkey) {
    switch (alg) {
        case Algorithm::rs256:
        case Algorithm::ps256:
            if (!EVP_PKEY_is_a(pkey, "RSA"))
                throw std::invalid_argument("jwt: RS256/PS256 need an RSA key");
            if (EVP_PKEY_get_bits(pkey) < kMinRsaBits)
                throw std::invalid_argument("jwt: RSA keys must have at least 2048 bits");
            return;
        case Algorithm::es256: {
            char group[64] = {};
            std::size_t len = 0;
            if (!EVP_PKEY_is_a(pkey, "EC") ||
                EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                               sizeof group, &len) != 1 ||
                std::string_view(group, len) != "prime256v1")
                throw std::invalid_argument("jwt: ES256 needs a P-256 key");
            return;
        }
        case Algorithm::eddsa:
            if (!EVP_PKEY_is_a(pkey, "ED25519"))
                throw std::invalid_argument("jwt: EdDSA needs an Ed25519 key");
            return;
        default: throw std::invalid_argument("jwt: not an asymmetric algorithm");
    }
}

std::shared_ptr<Key::Impl> make_asymmetric(Algorithm alg, PkeyPtr pkey, bool has_private,
                                           std::string kid) {
    check_asymmetric(alg, pkey.get());
    auto impl = std::make_shared<Key::Impl>();
    impl->alg = alg;
    impl->kid = std::move(kid);
    impl->pkey = std::move(pkey);
    impl->has_private = has_private;
    return impl;
}

Key Key::hmac(Algorithm alg, crypto::SecretBytes secret, std::string kid) {
    if (!is_hmac(alg)) throw std::invalid_argument("jwt: Key::hmac needs HS256/384/512");
    // RFC 7518 §3.2: a key at least as long as the hash; we ask 32 bytes of everyone.
    if (secret.size() < kMinHmacKey)
        throw std::invalid_argument("jwt: HMAC keys must be at least 32 bytes");
    auto impl = std::make_shared<Impl>();
    impl->alg = alg;
    impl->kid = std::move(kid);
    impl->secret = std::move(secret);
    impl->hmac = std::make_unique<const HmacState>(alg, impl->secret.reveal());
    return Key(std::move(impl));
}

Key Key::from_pem(Algorithm alg, std::string_view pem, std::string kid) {
    if (is_hmac(alg)) throw std::invalid_argument("jwt: HMAC keys are not PEM");
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw std::invalid_argument("jwt: cannot read PEM");
    bool has_private = true;
    PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
    if (!pkey) {
        ERR_clear_error();
        bio.reset(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_password, nullptr));
        has_private = false;
    }
    ERR_clear_error();
    if (!pkey) throw std::invalid_argument("jwt: PEM is neither a private nor a public key");
    return Key(make_asymmetric(alg, std::move(pkey), has_private, std::move(kid)));
}

Key Key::generate(Algorithm alg, std::string kid) {
    if (is_hmac(alg)) return hmac(alg, crypto::SecretBytes(crypto::random_bytes(64)), std::move(kid));
    EVP_PKEY* raw = nullptr;
    switch (alg) {
        case Algorithm::rs256:
        case Algorithm::ps256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
        case Algorithm::es256: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
        case Algorithm::eddsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
        default: break;
    }
    if (!raw) throw std::runtime_error("jwt: key generation failed");
    return Key(make_asymmetric(alg, PkeyPtr(raw), true, std::move(kid)));
}

Algorithm Key::algorithm() const noexcept { return impl_->alg; }
const std::string& Key::kid() const noexcept { return impl_->kid; }
bool Key::can_sign() const noexcept { return is_symmetric() || impl_->has_private; }
bool Key::is_symmetric() const noexcept { return is_hmac(impl_->alg); }

std::string Key::public_pem() const {
    if (is_symmetric()) return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), impl_->pkey.get()) != 1) return {};
    return bio_string(bio.get());
}

std::string Key::private_pem() const {
    if (is_symmetric() || !impl_->has_private) return {};
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0,
                                         nullptr, nullptr) != 1)
        return {};
    return bio_string(bio.get());
}

Result<crypto::Bytes, JwtError> Key::sign_bytes(crypto::ByteView input) const {
    const Impl& k = *impl_;
    if (is_hmac(k.alg)) {
        std::uint8_t mac[kMaxMacSize];
        std::size_t len = k.hmac->mac(input, mac);
        crypto::Bytes out(mac, mac + len);
        crypto::wipe(mac, sizeof mac);
        return out;
    }
    if (!k.has_private) return JwtError::internal;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || !init_digest(ctx.get(), k, true) ||
        EVP_DigestSign(ctx.get(), nullptr, &len, input.data(), input.size()) != 1) {
        ERR_clear_error();
        return JwtError::internal;
    }
    crypto::Bytes sig(len);
    if (EVP_DigestSign(ctx.get(), sig.data(), &len, input.data(), input.size()) != 1) {
        ERR_clear_error();
        return JwtError::internal;
    }
    sig.resize(len);
    if (k.alg == Algorithm::es256) {
        sig = der_to_raw(sig.data(), sig.size());
        if (sig.empty()) return JwtError::internal;
    }
    return sig;
}

bool Key::verify_bytes(crypto::ByteView input, crypto::ByteView signature) const {
    const Impl& k = *impl_;
    if (is_hmac(k.alg)) {
        std::uint8_t mac[kMaxMacSize];
        std::size_t len = k.hmac->mac(input, mac);
        bool ok = crypto::equal(crypto::ByteView(mac, len), signature);
        crypto::wipe(mac, sizeof mac);
        return ok;
    }
    crypto::Bytes der;
    if (k.alg == Algorithm::es256) {
        der = raw_to_der(signature);  // exactly 64 bytes or refused
        if (der.empty()) return false;
        signature = der;
    }
    MdCtxPtr ctx(EVP_MD_CTX_new());
    bool ok = ctx && init_digest(ctx.get(), k, false) &&
              EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), input.data(),
                               input.size()) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace bulwark::jwt
