// bench_jwt: verify-with-claims per second on one core for HS256, ES256 and EdDSA, against
// the raw OpenSSL/libsodium primitive (Bulwark's overhead) and PyJWT (bench/jwt/pyjwt_bench.py,
// run in the same process run by BM_PyJWT). Rates are per CPU second (Google Benchmark divides
// items by CPU time). bench/jwt/compare.sh runs this and PyJWT interleaved and prints ratios.
#define OPENSSL_SUPPRESS_DEPRECATED 1  // raw_hmac_keyed: SHA256_CTX copies, as HmacState

#include "../../src/jwt/compact.hpp"
#include "../../src/jwt/registered_claims.hpp"

#include <bulwark/jwt.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ecdsa.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <map>
#include <string>

namespace {

using namespace bulwark;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Fixture {
    jwt::Key key;
    jwt::KeySet keys;
    std::string token;
    std::string input;
    crypto::Bytes sig;
    explicit Fixture(jwt::Algorithm alg)
        : key(alg == jwt::Algorithm::hs256
                  ? jwt::Key::hmac(alg, crypto::SecretBytes(std::string(32, 'k')), "k")
                  : jwt::Key::generate(alg, "k")),
          keys({key}) {
        std::int64_t now = unix_now();
        boost::json::object c{{"sub", "alice"}, {"iss", "bulwark"}, {"aud", "api"}, {"iat", now},
                              {"nbf", now}, {"exp", now + 900}, {"jti", "0123456789abcdefghijkl"},
                              {"type", "access"}, {"fresh", true}};
        token = *jwt::sign_compact(boost::json::serialize(c), key);
        input = token.substr(0, token.rfind('.'));
        sig = *crypto::base64url_decode(token.substr(token.rfind('.') + 1));
    }
};

void verify_with_claims(benchmark::State& state, jwt::Algorithm alg) {
    Fixture f(alg);
    jwt::Validation v{unix_now(), std::chrono::seconds(30), "bulwark", "api"};
    for (auto _ : state) {
        auto jws = jwt::verify_compact(f.token, f.keys);
        auto claims = jwt::parse_json_object(jws->payload);
        auto ok = jwt::validate_claims(*claims, v);
        benchmark::DoNotOptimize(ok);
        if (!ok) state.SkipWithError("refused");
    }
    state.SetItemsProcessed(state.iterations());
}

// What Manager::verify does before the revocation lookup: the same work as verify_with_claims
// (signature, every registered-claim check) without building a DOM.
void verify_with_claims_no_dom(benchmark::State& state, jwt::Algorithm alg) {
    Fixture f(alg);
    jwt::Validation v{unix_now(), std::chrono::seconds(30), "bulwark", "api"};
    for (auto _ : state) {
        jwt::ObjectReader reader;
        jwt::DecodedToken decoded;
        auto ok = jwt::verify_token(f.token, f.keys, reader, decoded);
        if (ok) ok = reader.read(decoded.payload_json);
        if (ok) ok = jwt::check_registered(jwt::registered_claims(reader), v);
        benchmark::DoNotOptimize(ok);
        if (!ok) state.SkipWithError("refused");
    }
    state.SetItemsProcessed(state.iterations());
}

// manager_verify: the whole per-request call, revocation lookup in the memory store included.
void manager_verify(benchmark::State& state, jwt::Algorithm alg) {
    Fixture f(alg);
    jwt::Config config;
    config.issuer = "bulwark";
    config.audience = "api";
    jwt::Manager m({f.key}, config, *store::open("memory://"));
    auto token = *m.issue_access("alice", jwt::Freshness::fresh);
    for (auto _ : state) {
        auto c = m.verify(token, jwt::TokenType::access);
        benchmark::DoNotOptimize(c);
        if (!c) state.SkipWithError("refused");
    }
    state.SetItemsProcessed(state.iterations());
}

// store_get_miss: the revocation lookup alone, as Manager::verify makes it for a token that is
// not revoked (the memory store, a key of the same shape), to see its share of manager_verify.
void store_get_miss(benchmark::State& state) {
    auto store = *store::open("memory://");
    const std::string key = "jwt:revoked:0123456789abcdefghijkl";
    for (auto _ : state) {
        auto r = store->get(key);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

void raw_hmac(benchmark::State& state) {
    Fixture f(jwt::Algorithm::hs256);
    const std::string key(32, 'k');
    unsigned char out[32];
    unsigned int len = 0;
    for (auto _ : state) {
        HMAC(EVP_sha256(), key.data(), 32, reinterpret_cast<const unsigned char*>(f.input.data()),
             f.input.size(), out, &len);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}

// raw_hmac_keyed: the floor under any HS256 verifier, OpenSSL's SHA-256 (SHA-NI where the CPU
// has it) from inner and outer states keyed once, no parsing, no comparison.
void raw_hmac_keyed(benchmark::State& state) {
    Fixture f(jwt::Algorithm::hs256);
    unsigned char pad[64];
    SHA256_CTX inner, outer;
    std::memset(pad, 'k' ^ 0x36, 32);
    std::memset(pad + 32, 0x36, 32);
    SHA256_Init(&inner);
    SHA256_Update(&inner, pad, 64);
    std::memset(pad, 'k' ^ 0x5c, 32);
    std::memset(pad + 32, 0x5c, 32);
    SHA256_Init(&outer);
    SHA256_Update(&outer, pad, 64);
    unsigned char digest[32], out[32];
    for (auto _ : state) {
        SHA256_CTX c = inner;
        SHA256_Update(&c, f.input.data(), f.input.size());
        SHA256_Final(digest, &c);
        c = outer;
        SHA256_Update(&c, digest, 32);
        SHA256_Final(out, &c);
        benchmark::DoNotOptimize(out);
    }
    if (std::memcmp(out, f.sig.data(), 32) != 0) state.SkipWithError("raw keyed HMAC disagrees");
    state.SetItemsProcessed(state.iterations());
}

// raw_hmac_sodium_keyed: the same with libsodium's crypto_auth_hmacsha256 state, key absorbed once.
void raw_hmac_sodium_keyed(benchmark::State& state) {
    Fixture f(jwt::Algorithm::hs256);
    const std::string key(32, 'k');
    crypto_auth_hmacsha256_state keyed;
    crypto_auth_hmacsha256_init(&keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    unsigned char out[32];
    for (auto _ : state) {
        crypto_auth_hmacsha256_state s = keyed;
        crypto_auth_hmacsha256_update(&s, reinterpret_cast<const unsigned char*>(f.input.data()),
                                      f.input.size());
        crypto_auth_hmacsha256_final(&s, out);
        benchmark::DoNotOptimize(out);
    }
    if (std::memcmp(out, f.sig.data(), 32) != 0) state.SkipWithError("libsodium HMAC disagrees");
    state.SetItemsProcessed(state.iterations());
}

void raw_verify(benchmark::State& state, jwt::Algorithm alg) {
    Fixture f(alg);
    // The primitive alone: the same key through a plain EVP_DigestVerify, no parsing.
    std::string pem = f.key.public_pem();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    crypto::Bytes sig = f.sig;
    if (alg == jwt::Algorithm::es256) {  // to DER once, outside the loop
        ECDSA_SIG* s = ECDSA_SIG_new();
        ECDSA_SIG_set0(s, BN_bin2bn(sig.data(), 32, nullptr), BN_bin2bn(sig.data() + 32, 32, nullptr));
        unsigned char* der = nullptr;
        int n = i2d_ECDSA_SIG(s, &der);
        sig.assign(der, der + n);
        OPENSSL_free(der);
        ECDSA_SIG_free(s);
    }
    const EVP_MD* md = alg == jwt::Algorithm::es256 ? EVP_sha256() : nullptr;
    for (auto _ : state) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pkey);
        int ok = EVP_DigestVerify(ctx, sig.data(), sig.size(),
                                  reinterpret_cast<const unsigned char*>(f.input.data()), f.input.size());
        EVP_MD_CTX_free(ctx);
        if (ok != 1) state.SkipWithError("raw verify failed");
    }
    EVP_PKEY_free(pkey);
    state.SetItemsProcessed(state.iterations());
}

void pyjwt(benchmark::State& state) {
    // __FILE__ is relative to the build folder when ccache's base dir is set: resolve it from
    // the executable's own folder (bench/ of the build tree, where this file was compiled).
    std::string here = std::string(__FILE__).substr(0, std::string(__FILE__).rfind('/'));
    if (!here.empty() && here.front() != '/') {
        char exe[4096] = {};
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        std::string dir = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string(".");
        here = dir.substr(0, dir.rfind('/')) + "/" + here;
    }
    std::string script = here + "/pyjwt_bench.py";
    std::map<std::string, double> rates;
    for (auto _ : state) {
        FILE* p = popen(("/usr/bin/python3 " + script).c_str(), "r");
        char alg[16];
        double rate = 0;
        while (p && std::fscanf(p, "%15s %lf", alg, &rate) == 2) rates[alg] = rate;
        if (p) pclose(p);
    }
    for (auto& [alg, rate] : rates) state.counters["pyjwt_" + alg + "_per_s"] = rate;
}

}  // namespace

BENCHMARK_CAPTURE(verify_with_claims, HS256, jwt::Algorithm::hs256);
BENCHMARK_CAPTURE(verify_with_claims, ES256, jwt::Algorithm::es256);
BENCHMARK_CAPTURE(verify_with_claims, EdDSA, jwt::Algorithm::eddsa);
BENCHMARK_CAPTURE(verify_with_claims_no_dom, HS256, jwt::Algorithm::hs256);
BENCHMARK_CAPTURE(manager_verify, HS256, jwt::Algorithm::hs256);
BENCHMARK_CAPTURE(manager_verify, ES256, jwt::Algorithm::es256);
BENCHMARK_CAPTURE(manager_verify, EdDSA, jwt::Algorithm::eddsa);
BENCHMARK(store_get_miss);
BENCHMARK(raw_hmac);
BENCHMARK(raw_hmac_keyed);
BENCHMARK(raw_hmac_sodium_keyed);
BENCHMARK_CAPTURE(raw_verify, ES256, jwt::Algorithm::es256);
BENCHMARK_CAPTURE(raw_verify, EdDSA, jwt::Algorithm::eddsa);
BENCHMARK(pyjwt)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK_MAIN();
