// ratelimit_bench.cpp: checks per second of the Limiter over the memory store (one thread,
// two threads on one key and on many keys), the 10-million-key flood against the memory cap,
// and Redis-backed checks as a ratio to redis-benchmark's INCR rate measured in the same run.
//
// Redis method: redis-benchmark -p 6390 -t incr -n 200000 -q (50 parallel clients) gives the
// baseline; then 32 threads, each with its own pooled connection, run 200000 checks in total,
// each check one EVALSHA round trip (no pipelining). ratio = checks/s / INCR/s.
#include <bulwark/ratelimit.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

namespace {

using namespace bulwark;

std::shared_ptr<ratelimit::Limiter> memory_limiter(ratelimit::Strategy s = ratelimit::Strategy::fixed_window) {
    ratelimit::Config c;
    c.strategy = s;
    return std::make_shared<ratelimit::Limiter>(*store::open("memory://"), c);
}

const std::vector<ratelimit::Limit>& big_limit() {
    static auto l = ratelimit::parse_or_throw("1000000000 per hour");
    return l;
}

void BM_MemoryOneKey(benchmark::State& state) {
    auto limiter = memory_limiter(static_cast<ratelimit::Strategy>(state.range(0)));
    const std::string key = ratelimit::address_key("192.0.2.1");
    for (auto _ : state) benchmark::DoNotOptimize(limiter->check("login", key, big_limit()).allowed);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryOneKey)->ArgName("strategy")->Arg(0)->Arg(1)->Arg(2);

std::vector<std::string> many_keys() {
    std::vector<std::string> keys;
    for (int i = 0; i < 10'000; ++i) keys.push_back(ratelimit::address_key("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)));
    return keys;
}

void BM_MemoryManyKeys(benchmark::State& state) {
    static auto limiter = memory_limiter();
    static auto keys = many_keys();
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 5000;
    for (auto _ : state) benchmark::DoNotOptimize(limiter->check("login", keys[i++ % keys.size()], big_limit()).allowed);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryManyKeys)->Threads(1)->Threads(2)->UseRealTime();

void BM_MemoryContendedKey(benchmark::State& state) {
    static auto limiter = memory_limiter();
    const std::string key = ratelimit::address_key("192.0.2.1");
    for (auto _ : state) benchmark::DoNotOptimize(limiter->check("login", key, big_limit()).allowed);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MemoryContendedKey)->Threads(2)->UseRealTime();

std::size_t rss_bytes() {
    std::ifstream f("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * 4096;
}

void BM_Flood10MKeys(benchmark::State& state) {
    constexpr std::size_t kCap = 64 << 20;
    for (auto _ : state) {
        auto store = *store::open("memory://?max_bytes=" + std::to_string(kCap) + "&max_entries=100000000");
        ratelimit::Limiter limiter(store);
        auto limits = ratelimit::parse_or_throw("5 per minute");
        const std::size_t rss0 = rss_bytes();
        char addr[32];
        for (std::uint32_t i = 0; i < 10'000'000; ++i) {
            std::snprintf(addr, sizeof addr, "%u.%u.%u.%u", 1 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255, i & 255);
            benchmark::DoNotOptimize(limiter.check("login", ratelimit::address_key(addr), limits).allowed);
        }
        auto u = *store->usage();
        state.counters["cap_MiB"] = static_cast<double>(kCap) / (1 << 20);
        state.counters["accounted_MiB"] = static_cast<double>(u.bytes) / (1 << 20);
        state.counters["entries"] = static_cast<double>(u.entries);
        state.counters["rss_growth_MiB"] = static_cast<double>(rss_bytes() - std::min(rss0, rss_bytes())) / (1 << 20);
    }
    state.SetItemsProcessed(state.iterations() * 10'000'000);
}
BENCHMARK(BM_Flood10MKeys)->Iterations(1)->Unit(benchmark::kSecond);

double incr_baseline() {
    FILE* p = popen("redis-benchmark -p 6390 -t incr -n 200000 -q 2>/dev/null", "r");
    if (!p) return 0;
    char line[512];
    double rate = 0;
    while (std::fgets(line, sizeof line, p)) {
        // "INCR: 123456.79 requests per second, p50=0.199 msec" (possibly after \r progress)
        std::string s(line);
        auto at = s.rfind("INCR: ");
        if (at != std::string::npos) rate = std::atof(s.c_str() + at + 6);
    }
    pclose(p);
    return rate;
}

void BM_RedisChecksVsIncr(benchmark::State& state) {
    const int threads = static_cast<int>(state.range(0));
    const char* env = std::getenv("BULWARK_TEST_REDIS_URL");
    const std::string base = env ? env : "redis://127.0.0.1:6390/0";
    for (auto _ : state) {
        const double incr = incr_baseline();
        auto s = store::open(base + "?prefix=bulwark_bench_rl:&timeout_ms=2000&pool=" + std::to_string(threads));
        if (!s || incr <= 0) {
            state.SkipWithError("redis not reachable");
            return;
        }
        ratelimit::Limiter limiter(*s);
        auto limits = ratelimit::parse_or_throw("1000000000 per hour");
        (void)limiter.check("warm", "k", limits);  // learn the script SHA
        constexpr int kTotal = 200'000;
        std::atomic<int> next{0}, degraded{0};
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const std::string key = ratelimit::user_key(std::to_string(t % 64));
                while (next.fetch_add(1) < kTotal) degraded += limiter.check("bench", key, limits).degraded;
            });
        for (auto& t : pool) t.join();
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double rate = kTotal / secs;
        state.counters["checks_per_s"] = rate;
        state.counters["incr_per_s"] = incr;
        state.counters["ratio"] = rate / incr;
        state.counters["degraded"] = degraded.load();
    }
}
BENCHMARK(BM_RedisChecksVsIncr)->Arg(16)->Arg(32)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
