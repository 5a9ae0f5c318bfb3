// Per-request cost of the CORS stage for the reference app's policy, against doing nothing.
#include <bulwark/cors.hpp>

#include <benchmark/benchmark.h>

namespace cors = bulwark::cors;

namespace {

cors::Cors reference() {
    return cors::Cors(std::vector<cors::Policy>{{.path_prefix = "/api",
                                                 .origins = {"https://app.example.com", "https://*.example.org"},
                                                 .methods = {"GET", "POST"},
                                                 .allow_headers = {"Content-Type", "Authorization", "X-API-Key"}}});
}

void BM_Baseline(benchmark::State& state) {
    const auto c = reference();
    for (auto _ : state) {
        benchmark::DoNotOptimize(&c);
        benchmark::ClobberMemory();
    }
}

void BM_NotMatchedPath(benchmark::State& state) {
    const auto c = reference();
    for (auto _ : state) benchmark::DoNotOptimize(c.evaluate("/comments", "GET", std::nullopt));
}

void BM_SimpleAllowed(benchmark::State& state) {
    const auto c = reference();
    for (auto _ : state) benchmark::DoNotOptimize(c.evaluate("/api/data", "GET", "https://app.example.com"));
}

void BM_PreflightWildcard(benchmark::State& state) {
    const auto c = reference();
    for (auto _ : state)
        benchmark::DoNotOptimize(c.evaluate("/api/data", "OPTIONS", "https://a.example.org", "POST",
                                            "content-type,authorization"));
}

}  // namespace

BENCHMARK(BM_Baseline);
BENCHMARK(BM_NotMatchedPath);
BENCHMARK(BM_SimpleAllowed);
BENCHMARK(BM_PreflightWildcard);
BENCHMARK_MAIN();
