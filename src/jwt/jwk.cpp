// JWK import (RFC 7517/7518 §6, RFC 8037 §2) and the public JWK Set.
#include "key_impl.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

crypto::Bytes member_bytes(const json::object& jwk, std::string_view name, bool required) {
    const json::value* v = jwk.if_contains(name);
    if (!v) {
        if (required) throw std::invalid_argument("jwt: JWK lacks a required member");
        return {};
    }
    if (!v->is_string()) throw std::invalid_argument("jwt: JWK member is not a string");
    auto bytes = crypto::base64url_decode(std::string_view(v->as_string()));
    if (!bytes || bytes->empty()) throw std::invalid_argument("jwt: JWK member is not base64url");
    return std::move(*bytes);
}

std::string_view member_text(const json::object& jwk, std::string_view name) {
    const json::value* v = jwk.if_contains(name);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

struct BldFree {
    void operator()(OSSL_PARAM_BLD* b) const noexcept { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
};
struct PctxFree {
    void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
    void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

PkeyPtr from_params(const char* type, OSSL_PARAM_BLD* bld, int selection) {
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
    std::unique_ptr<EVP_PKEY_CTX, PctxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
        ERR_clear_error();
        throw std::invalid_argument("jwt: JWK is not a valid key");
    }
    return PkeyPtr(raw);
}

BnPtr to_bn(const crypto::Bytes& b) {
    return BnPtr(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
}

std::string b64(const unsigned char* p, std::size_t n) {
    return crypto::base64url_encode(crypto::ByteView(p, n));
}

std::string bn_param_b64(EVP_PKEY* pkey, const char* name, int pad) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
    BnPtr bn(raw);
    int len = pad > 0 ? pad : BN_num_bytes(bn.get());
    crypto::Bytes out(static_cast<std::size_t>(len));
    if (BN_bn2binpad(bn.get(), out.data(), len) != len) return {};
    return crypto::base64url_encode(out);
}

}  // namespace

Key Key::from_jwk(Algorithm alg, std::string_view jwk_json, std::string kid) {
    auto parsed = parse_json_object(jwk_json);
    if (!parsed) throw std::invalid_argument("jwt: JWK is not a strict JSON object");
    const json::object& jwk = *parsed;
    std::string_view kty = member_text(jwk, "kty");
    if (kty == "oct") {
        auto k = member_bytes(jwk, "k", true);
        return hmac(alg, crypto::SecretBytes(crypto::ByteView(k)), std::move(kid));
    }
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld) throw std::runtime_error("jwt: out of memory");
    if (kty == "RSA") {
        if (jwk.contains("d"))
            throw std::invalid_argument("jwt: load RSA private keys from PEM, not JWK");
        auto n = to_bn(member_bytes(jwk, "n", true));
        auto e = to_bn(member_bytes(jwk, "e", true));
        if (!n || !e || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
            throw std::invalid_argument("jwt: bad RSA JWK");
        auto pkey = from_params("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY);
        return Key(make_asymmetric(alg, std::move(pkey), false, std::move(kid)));
    }
    if (kty == "EC") {
        if (member_text(jwk, "crv") != "P-256") throw std::invalid_argument("jwt: EC JWK must be P-256");
        auto x = member_bytes(jwk, "x", true);
        auto y = member_bytes(jwk, "y", true);
        auto d = member_bytes(jwk, "d", false);
        if (x.size() != 32 || y.size() != 32 || (!d.empty() && d.size() != 32))
            throw std::invalid_argument("jwt: bad P-256 JWK coordinates");
        crypto::Bytes point{0x04};
        point.insert(point.end(), x.begin(), x.end());
        point.insert(point.end(), y.begin(), y.end());
        BnPtr dbn = d.empty() ? nullptr : to_bn(d);
        if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1 ||
            (dbn && OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, dbn.get()) != 1))
            throw std::invalid_argument("jwt: bad EC JWK");
        auto pkey = from_params("EC", bld.get(), dbn ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY);
        crypto::wipe(d.data(), d.size());
        return Key(make_asymmetric(alg, std::move(pkey), dbn != nullptr, std::move(kid)));
    }
    if (kty == "OKP") {
        if (member_text(jwk, "crv") != "Ed25519") throw std::invalid_argument("jwt: OKP JWK must be Ed25519");
        auto x = member_bytes(jwk, "x", true);
        auto d = member_bytes(jwk, "d", false);
        if (x.size() != 32 || (!d.empty() && d.size() != 32))
            throw std::invalid_argument("jwt: bad Ed25519 JWK");
        PkeyPtr pkey;
        if (!d.empty()) {
            pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, d.data(), d.size()));
            crypto::wipe(d.data(), d.size());
            unsigned char pub[32];
            std::size_t len = sizeof pub;
            if (!pkey || EVP_PKEY_get_raw_public_key(pkey.get(), pub, &len) != 1 || len != 32 ||
                !crypto::equal(crypto::ByteView(pub, 32), x))
                throw std::invalid_argument("jwt: Ed25519 JWK x does not match d");
        } else {
            pkey.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, x.data(), x.size()));
        }
        if (!pkey) throw std::invalid_argument("jwt: bad Ed25519 JWK");
        bool has_private = !jwk.if_contains("d") ? false : true;
        return Key(make_asymmetric(alg, std::move(pkey), has_private, std::move(kid)));
    }
    throw std::invalid_argument("jwt: unsupported JWK kty");
}

std::optional<json::object> Key::public_jwk() const {
    if (is_symmetric()) return std::nullopt;
    EVP_PKEY* pkey = impl_->pkey.get();
    json::object jwk;
    switch (impl_->alg) {
        case Algorithm::rs256:
        case Algorithm::ps256:
            jwk["kty"] = "RSA";
            jwk["n"] = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
            jwk["e"] = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
            break;
        case Algorithm::es256:
            jwk["kty"] = "EC";
            jwk["crv"] = "P-256";
            jwk["x"] = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
            jwk["y"] = bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
            break;
        case Algorithm::eddsa: {
            unsigned char pub[32];
            std::size_t len = sizeof pub;
            if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1) return std::nullopt;
            jwk["kty"] = "OKP";
            jwk["crv"] = "Ed25519";
            jwk["x"] = b64(pub, len);
            break;
        }
        default: return std::nullopt;
    }
    jwk["use"] = "sig";
    jwk["alg"] = algorithm_name(impl_->alg);
    if (!impl_->kid.empty()) jwk["kid"] = impl_->kid;
    return jwk;
}

std::string KeySet::jwks() const {
    json::array list;
    for (const Key& k : keys_)
        if (auto jwk = k.public_jwk()) list.push_back(std::move(*jwk));
    json::object doc;
    doc["keys"] = std::move(list);
    return json::serialize(doc);
}

}  // namespace bulwark::jwt
