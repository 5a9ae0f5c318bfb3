// redis_exactness_test.cpp: two processes, each with its own Redis store and limiter (as
// two server instances would be), fire 500 concurrent checks at one "5 per minute" key:
// exactly 5 are allowed and exactly one refusal is flagged for the security log.
#include <bulwark/ratelimit.hpp>

#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace bulwark::ratelimit {
namespace {

Config with(Strategy s, OnStoreFailure f = OnStoreFailure::local_fallback) {
    Config c;
    c.strategy = s;
    c.on_store_failure = f;
    return c;
}

constexpr int kProcesses = 2, kThreadsEach = 10, kChecksEach = 25;  // 2 * 10 * 25 = 500

// run_instance is one "server": its own store, its own pool, its own limiter.
std::pair<int, int> run_instance(const std::string& url, const std::string& scope) {
    auto s = store::open(url + "&pool=" + std::to_string(kThreadsEach));
    if (!s) return {-1, -1};
    Limiter limiter(*s, with(Strategy::fixed_window, OnStoreFailure::fail_closed));
    auto limits = parse_or_throw("5 per minute");
    std::atomic<int> allowed{0}, flagged{0}, degraded{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreadsEach; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kChecksEach; ++i) {
                auto d = limiter.check(scope, address_key("198.51.100.9"), limits);
                allowed += d.allowed;
                flagged += d.first_exceeded_in_window;
                degraded += d.degraded;
            }
        });
    for (auto& t : threads) t.join();
    return {degraded.load() ? -1 : allowed.load(), flagged.load()};
}

TEST(RedisRateLimit, TwoProcessesAllowExactlyFive) {
    BULWARK_SERVICE_URL_OR_SKIP(redis, "BULWARK_TEST_REDIS_URL");
    const std::string url = redis + (redis.find('?') == std::string::npos ? "?" : "&") +
                            "prefix=bulwark_test_ratelimit:&timeout_ms=2000";
    const std::string scope = "exact" + std::to_string(::getpid()) + "_" +
                              std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
    int pipes[kProcesses][2];
    std::vector<pid_t> kids;
    for (int p = 0; p < kProcesses; ++p) {
        ASSERT_EQ(pipe(pipes[p]), 0);
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            auto [allowed, flagged] = run_instance(url, scope);
            int msg[2] = {allowed, flagged};
            ssize_t w = write(pipes[p][1], msg, sizeof msg);
            _exit(w == sizeof msg ? 0 : 1);
        }
        kids.push_back(pid);
        close(pipes[p][1]);
    }
    int allowed = 0, flagged = 0;
    for (int p = 0; p < kProcesses; ++p) {
        int msg[2] = {-1, -1};
        ASSERT_EQ(read(pipes[p][0], msg, sizeof msg), static_cast<ssize_t>(sizeof msg));
        close(pipes[p][0]);
        ASSERT_GE(msg[0], 0) << "process " << p << " saw a store failure";
        allowed += msg[0];
        flagged += msg[1];
    }
    for (pid_t pid : kids) {
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT_EQ(allowed, 5);
    EXPECT_EQ(flagged, 1);
}

TEST(RedisRateLimit, EveryStrategyAgreesAcrossInstances) {
    BULWARK_SERVICE_URL_OR_SKIP(redis, "BULWARK_TEST_REDIS_URL");
    const std::string url = redis + (redis.find('?') == std::string::npos ? "?" : "&") +
                            "prefix=bulwark_test_ratelimit:" + std::to_string(::getpid()) + ":";
    for (Strategy s : {Strategy::fixed_window, Strategy::sliding_window, Strategy::gcra}) {
        Limiter a(*store::open(url), with(s));
        Limiter b(*store::open(url), with(s));
        auto limits = parse_or_throw("4 per hour");
        int allowed = 0;
        for (int i = 0; i < 10; ++i) allowed += (i % 2 ? a : b).check("shared", "user:1", limits).allowed;
        EXPECT_EQ(allowed, 4) << static_cast<int>(s);
    }
}

}  // namespace
}  // namespace bulwark::ratelimit
