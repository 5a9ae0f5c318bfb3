// redis_test.cpp: the Redis backend losing its server mid-test. The test runs its own
// redis-server on 127.0.0.1:6395 (no persistence), kills it, expects `unavailable` within
// the timeout, restarts it and expects the same store object to recover.
#include <bulwark/store.hpp>

#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace bulwark::store {
namespace {

using namespace std::chrono_literals;
constexpr int kPort = 6395;

// OwnRedis: a redis-server child process this test starts and kills.
class OwnRedis {
public:
    bool start() {
        const std::string port = std::to_string(kPort);
        const char* argv[] = {"redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", "--logfile", "/dev/null", nullptr};
        if (posix_spawnp(&pid_, "redis-server", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0)
            return false;
        // ready when a fresh store can talk to it
        auto probe = open("redis://127.0.0.1:" + port + "/0?timeout_ms=100");
        for (int i = 0; i < 100; ++i) {
            if (probe && (*probe)->get("probe")) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
    void kill_now() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }
    ~OwnRedis() { kill_now(); }

private:
    pid_t pid_ = -1;
};

TEST(RedisStore, SurvivesTheServerRestarting) {
    OwnRedis server;
    if (!server.start()) GTEST_SKIP() << "redis-server could not be started on port " << kPort;
    auto opened = open("redis://127.0.0.1:" + std::to_string(kPort) + "/0?timeout_ms=200&pool=4&prefix=bulwark_test_restart:");
    ASSERT_TRUE(opened);
    Store& s = **opened;
    ASSERT_TRUE(s.set("k", "before", Ttl{0}));
    EXPECT_EQ(*s.increment("n", 1, 60s), 1);

    server.kill_now();
    for (int i = 0; i < 5; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto r = s.get("k");
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), StoreError::unavailable);
        auto n = s.increment("n", 1, 60s);
        ASSERT_FALSE(n);
        RateRequest q[] = {RateRequest{"rl", RateAlgorithm::fixed_window, 5, 60s, 1, 1'700'000'000'000}};
        RateOutcome out[1];
        EXPECT_EQ(s.rate_hit(q, out).error(), StoreError::unavailable);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // within the timeout, never a hang
    }

    ASSERT_TRUE(server.start());
    bool recovered = false;
    for (int i = 0; i < 50 && !recovered; ++i) {
        recovered = static_cast<bool>(s.set("k", "after", Ttl{0}));
        if (!recovered) std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(recovered);
    EXPECT_EQ(s.get("k")->value_or(""), "after");
    EXPECT_EQ(*s.increment("n", 1, 60s), 1);  // --save '': the restarted server is empty
    RateRequest q[] = {RateRequest{"rl", RateAlgorithm::gcra, 5, 60s, 1, 1'700'000'000'000}};
    RateOutcome out[1];
    ASSERT_TRUE(s.rate_hit(q, out));  // the script is loaded again (NOSCRIPT -> EVAL)
    EXPECT_TRUE(out[0].allowed);
}

TEST(RedisStore, ServiceReachable) {
    BULWARK_SERVICE_URL_OR_SKIP(url, "BULWARK_TEST_REDIS_URL");
    auto s = open(url + (url.find('?') == std::string::npos ? "?" : "&") + "prefix=bulwark_test_store_ping:");
    ASSERT_TRUE(s);
    EXPECT_TRUE((*s)->set("ping", "pong", 10s));
    EXPECT_EQ((*s)->backend(), "redis");
}

}  // namespace
}  // namespace bulwark::store
