// Password hashing against libsodium's raw calls in the same run (the overhead of Bulwark's
// parsing, limits and checks must stay under 5%), and sign+unsign throughput.
#include <bulwark/crypto.hpp>
#include <bulwark/password.hpp>

#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>

namespace {

constexpr const char* kPassword = "correct horse battery staple";
constexpr std::uint32_t kMemoryKib = 19 * 1024;
constexpr std::uint32_t kIterations = 2;

const bulwark::password::Hasher& hasher() {
    static const bulwark::password::Hasher h{{.memory_kib = kMemoryKib, .iterations = kIterations}};
    return h;
}
const std::string& stored() {
    static const std::string s = *hasher().hash(kPassword);
    return s;
}

void BM_RawSodiumVerify(benchmark::State& state) {
    const std::string& s = stored();
    for (auto _ : state) {
        int rc = crypto_pwhash_str_verify(s.c_str(), kPassword, std::strlen(kPassword));
        benchmark::DoNotOptimize(rc);
    }
}
void BM_BulwarkVerify(benchmark::State& state) {
    const std::string& s = stored();
    for (auto _ : state) {
        auto r = hasher().verify(kPassword, s);
        benchmark::DoNotOptimize(r);
    }
}
void BM_RawSodiumHash(benchmark::State& state) {
    char out[crypto_pwhash_STRBYTES];
    for (auto _ : state) {
        int rc = crypto_pwhash_str_alg(out, kPassword, std::strlen(kPassword), kIterations,
                                       std::size_t{kMemoryKib} * 1024, crypto_pwhash_ALG_ARGON2ID13);
        benchmark::DoNotOptimize(rc);
    }
}
void BM_BulwarkHash(benchmark::State& state) {
    for (auto _ : state) {
        auto r = hasher().hash(kPassword);
        benchmark::DoNotOptimize(r);
    }
}
// Everything Bulwark adds around libsodium's verify is input checks and the strict parse
// (needs_rehash runs the same parse): timed alone it bounds the overhead without the noise of
// two 60 ms measurements.
void BM_BulwarkAddedWorkOnly(benchmark::State& state) {
    const std::string& s = stored();
    for (auto _ : state) {
        bool r = hasher().needs_rehash(s) || !bulwark::password::valid_utf8(kPassword);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_BulwarkAddedWorkOnly);
// Interleaving raw and Bulwark runs (each benchmark registered twice) spreads machine noise.
BENCHMARK(BM_RawSodiumVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BulwarkVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_RawSodiumHash)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BulwarkHash)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_RawSodiumVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_BulwarkVerify)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_SignUnsign(benchmark::State& state) {
    using namespace bulwark::crypto;
    std::vector<SecretBytes> old;
    old.emplace_back(std::string(32, 'o'));
    const Signer signer{KeyRing{SecretBytes{std::string(32, 'k')}, std::move(old)}};
    const std::string value(static_cast<std::size_t>(state.range(0)), 'v');
    for (auto _ : state) {
        auto token = signer.sign(value, Purpose::session);
        auto back = signer.unsign(token, Purpose::session, std::chrono::seconds(60));
        benchmark::DoNotOptimize(back);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignUnsign)->Arg(32)->Arg(1024);

void BM_UnsignBadSignature(benchmark::State& state) {
    // The worst case: a well-formed forgery makes unsign try every purpose's keys.
    using namespace bulwark::crypto;
    const Signer signer{KeyRing{SecretBytes{std::string(32, 'k')}}};
    const Signer forger{KeyRing{SecretBytes{std::string(32, 'f')}}};
    const auto forged = forger.sign(std::string(1024, 'v'), Purpose::session);
    for (auto _ : state) {
        auto r = signer.unsign(forged, Purpose::session, std::chrono::seconds(60));
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnsignBadSignature);

void BM_CheckPolicy(benchmark::State& state) {
    for (auto _ : state) {
        auto r = bulwark::password::check_policy("correct-horse-battery-staple-77",
                                                 {.username = "alice", .email = "alice@example.org"});
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_CheckPolicy);

}  // namespace

BENCHMARK_MAIN();
