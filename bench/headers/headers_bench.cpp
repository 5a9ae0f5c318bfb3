// Per-response cost of the secure-headers stage (nonce + compute) against doing nothing.
#include <bulwark/headers.hpp>

#include <benchmark/benchmark.h>

namespace headers = bulwark::headers;

namespace {

void BM_Baseline(benchmark::State& state) {
    const headers::Policy policy;
    for (auto _ : state) {
        benchmark::DoNotOptimize(&policy);
        benchmark::ClobberMemory();
    }
}

void BM_MakeNonce(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(headers::make_nonce());
}

void BM_Compute(benchmark::State& state) {
    const headers::Policy policy;
    const auto nonce = headers::make_nonce();
    for (auto _ : state)
        benchmark::DoNotOptimize(headers::compute(policy, {.nonce = nonce, .is_https = true, .logged_in = true}));
}

void BM_NonceAndCompute(benchmark::State& state) {
    const headers::Policy policy;
    for (auto _ : state) {
        const auto nonce = headers::make_nonce();
        benchmark::DoNotOptimize(headers::compute(policy, {.nonce = nonce, .is_https = true, .logged_in = true}));
    }
}

void BM_HttpsRedirect(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(
            headers::https_redirect("GET", "app.example.com", "/a?b=c", false, headers::Environment::production));
}

}  // namespace

BENCHMARK(BM_Baseline);
BENCHMARK(BM_MakeNonce);
BENCHMARK(BM_Compute);
BENCHMARK(BM_NonceAndCompute);
BENCHMARK(BM_HttpsRedirect);
BENCHMARK_MAIN();
