// Per-request cost of the CSRF stage against a baseline that does nothing, same run.
#include <bulwark/csrf.hpp>

#include <benchmark/benchmark.h>

namespace csrf = bulwark::csrf;

namespace {

struct Setup {
    bulwark::crypto::SecretBytes secret = csrf::new_session_secret();
    std::string token = csrf::masked_token(secret);
    csrf::Policy policy{{"https://admin.example.com"}};
    csrf::RequestFacts post(bool fetch_metadata) const {
        csrf::RequestFacts f;
        f.method = "POST";
        f.is_https = true;
        f.host = "app.example.com";
        if (fetch_metadata) f.sec_fetch_site = "same-origin";
        f.origin = "https://app.example.com";
        f.submitted_token = token;
        f.session_secret = &secret;
        return f;
    }
};

void BM_Baseline(benchmark::State& state) {
    Setup s;
    auto facts = s.post(true);
    for (auto _ : state) {
        benchmark::DoNotOptimize(facts);
        benchmark::ClobberMemory();
    }
}

void BM_CheckRequestPost(benchmark::State& state) {
    Setup s;
    const auto facts = s.post(true);
    for (auto _ : state) benchmark::DoNotOptimize(csrf::check_request(s.policy, facts).ok());
}

void BM_CheckRequestPostOriginOnly(benchmark::State& state) {  // older browser: Origin parsed
    Setup s;
    const auto facts = s.post(false);
    for (auto _ : state) benchmark::DoNotOptimize(csrf::check_request(s.policy, facts).ok());
}

void BM_CheckRequestGet(benchmark::State& state) {
    Setup s;
    auto facts = s.post(true);
    facts.method = "GET";
    for (auto _ : state) benchmark::DoNotOptimize(csrf::check_request(s.policy, facts).ok());
}

void BM_MaskedToken(benchmark::State& state) {  // once per rendered form
    Setup s;
    for (auto _ : state) benchmark::DoNotOptimize(csrf::masked_token(s.secret));
}

}  // namespace

BENCHMARK(BM_Baseline);
BENCHMARK(BM_CheckRequestPost);
BENCHMARK(BM_CheckRequestPostOriginOnly);
BENCHMARK(BM_CheckRequestGet);
BENCHMARK(BM_MaskedToken);
BENCHMARK_MAIN();
