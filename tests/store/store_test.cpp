// store_test.cpp: one table of interface cases run against every backend. The unit build
// instantiates it for memory and SQLite; the integration build (BULWARK_STORE_TEST_REDIS)
// for Redis, from BULWARK_TEST_REDIS_URL with a key prefix of its own.
#include <bulwark/store.hpp>

#include "rate_math.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace bulwark::store {
namespace {

using namespace std::chrono_literals;

std::string unique(std::string_view what) {
    static std::atomic<int> n{0};
    return std::string(what) + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

class StoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        std::string url;
        if (GetParam() == "memory") {
            url = "memory://";
        } else if (GetParam() == "sqlite") {
            path_ = "/tmp/" + unique("bulwark_store_test_") + ".db";
            url = "sqlite://" + path_;
        } else {
            BULWARK_SERVICE_URL_OR_SKIP(redis, "BULWARK_TEST_REDIS_URL");
            url = redis + (redis.find('?') == std::string::npos ? "?" : "&") + "prefix=bulwark_test_store:" +
                  unique("") + ":";
        }
        auto s = open(url);
        ASSERT_TRUE(s) << error_name(s.error());
        store_ = *s;
    }
    void TearDown() override {
        store_.reset();
        if (!path_.empty()) {
            for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
        }
    }
    Store& s() { return *store_; }

    std::shared_ptr<Store> store_;
    std::string path_;
};

TEST_P(StoreTest, GetMissingIsEmpty) {
    auto r = s().get("absent");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->has_value());
}

TEST_P(StoreTest, SetGetOverwriteAndBinaryValues) {
    struct Case { const char* name; std::string key; std::string value; };
    const Case cases[] = {
        {"plain", "k1", "v1"},
        {"empty_value", "k2", ""},
        {"binary", std::string("k\0\x01\xff", 4), std::string("a\0b\r\n\xfe", 6)},
        {"long_value", "k3", std::string(100000, 'x')},
        {"overwrite", "k1", "v2"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ASSERT_TRUE(s().set(c.key, c.value, Ttl{0}));
        auto r = s().get(c.key);
        ASSERT_TRUE(r);
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ(**r, c.value);
    }
}

TEST_P(StoreTest, OversizedKeysAndValuesAreRefused) {
    EXPECT_EQ(s().set(std::string(2000, 'k'), "v", Ttl{0}).error(), StoreError::too_large);
    EXPECT_EQ(s().set("k", std::string((1 << 20) + 1, 'v'), Ttl{0}).error(), StoreError::too_large);
    EXPECT_EQ(s().get("").error(), StoreError::too_large);
    EXPECT_EQ(s().increment(std::string(2000, 'k'), 1, Ttl{0}).error(), StoreError::too_large);
}

TEST_P(StoreTest, SetIfAbsentStoresOnce) {
    EXPECT_TRUE(*s().set_if_absent("once", "a", Ttl{0}));
    EXPECT_FALSE(*s().set_if_absent("once", "b", Ttl{0}));
    EXPECT_EQ(**s().get("once"), "a");
}

TEST_P(StoreTest, TakeReadsAndErasesOnce) {
    ASSERT_TRUE(s().set("token", "t", Ttl{0}));
    auto first = s().take("token");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->value_or(""), "t");
    auto second = s().take("token");
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->has_value());
}

TEST_P(StoreTest, EraseReportsWhetherSomethingWent) {
    ASSERT_TRUE(s().set("gone", "x", Ttl{0}));
    EXPECT_TRUE(*s().erase("gone"));
    EXPECT_FALSE(*s().erase("gone"));
    EXPECT_FALSE(s().get("gone")->has_value());
}

TEST_P(StoreTest, IncrementStartsAtZeroAndKeepsTheFirstExpiry) {
    EXPECT_EQ(*s().increment("n", 1, Ttl{0}), 1);
    EXPECT_EQ(*s().increment("n", 5, Ttl{0}), 6);
    EXPECT_EQ(*s().increment("n", -2, Ttl{0}), 4);
    EXPECT_FALSE(s().ttl("n")->has_value());  // no expiry
    EXPECT_EQ(*s().increment("t", 1, 10s), 1);
    auto t1 = *s().ttl("t");
    ASSERT_TRUE(t1.has_value());
    EXPECT_GT(t1->count(), 9000);
    EXPECT_LE(t1->count(), 10000);
    EXPECT_EQ(*s().increment("t", 1, 1h), 2);  // an existing key keeps its expiry
    EXPECT_LE((*s().ttl("t"))->count(), 10000);
}

TEST_P(StoreTest, TtlOfMissingAndPermanentKeysIsEmpty) {
    EXPECT_FALSE(s().ttl("missing")->has_value());
    ASSERT_TRUE(s().set("forever", "x", Ttl{0}));
    EXPECT_FALSE(s().ttl("forever")->has_value());
    ASSERT_TRUE(s().set("soon", "x", 5s));
    auto t = *s().ttl("soon");
    ASSERT_TRUE(t.has_value());
    EXPECT_GT(t->count(), 4000);
}

TEST_P(StoreTest, ExpiredEntriesAreNeverReturned) {
    ASSERT_TRUE(s().set("short", "x", 60ms));
    ASSERT_TRUE(s().set("long", "y", 60s));
    ASSERT_TRUE(s().increment("short_counter", 3, 60ms));
    EXPECT_EQ(s().get("short")->value_or("none"), "x");
    std::this_thread::sleep_for(150ms);
    EXPECT_FALSE(s().get("short")->has_value());
    EXPECT_FALSE(s().take("short")->has_value());
    EXPECT_FALSE(*s().erase("short"));
    EXPECT_EQ(s().get("long")->value_or("none"), "y");
    EXPECT_EQ(*s().increment("short_counter", 1, 60s), 1);  // restarted after expiry
    EXPECT_TRUE(*s().set_if_absent("short", "again", Ttl{0}));
}

TEST_P(StoreTest, ConcurrentIncrementsAreExact) {
    constexpr int kThreads = 4, kEach = 250;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i)
                if (!s().increment("shared", 1, 60s)) ++failures;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(*s().increment("shared", 0, 60s), kThreads * kEach);
}

TEST_P(StoreTest, ConcurrentSetIfAbsentHasOneWinner) {
    std::vector<std::thread> threads;
    std::atomic<int> wins{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto r = s().set_if_absent("race" + std::to_string(i), "x", 60s);
                if (r && *r) ++wins;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 50);
}

RateRequest req(std::string_view key, RateAlgorithm a, std::int64_t limit, Ttl period, std::int64_t now) {
    return RateRequest{key, a, limit, period, 1, now};
}

TEST_P(StoreTest, FixedWindowFiveAMinute) {
    const std::int64_t t0 = 1'700'000'000'000;
    RateOutcome out[1];
    for (int i = 0; i < 5; ++i) {
        RateRequest r[] = {req("fw", RateAlgorithm::fixed_window, 5, 60s, t0 + i)};
        ASSERT_TRUE(s().rate_hit(r, out));
        EXPECT_TRUE(out[0].allowed) << i;
        EXPECT_EQ(out[0].remaining, 4 - i);
        EXPECT_FALSE(out[0].first_rejection);
    }
    RateRequest r6[] = {req("fw", RateAlgorithm::fixed_window, 5, 60s, t0 + 1000)};
    ASSERT_TRUE(s().rate_hit(r6, out));
    EXPECT_FALSE(out[0].allowed);
    EXPECT_TRUE(out[0].first_rejection);
    EXPECT_EQ(out[0].retry_after.count(), 59000);
    ASSERT_TRUE(s().rate_hit(r6, out));
    EXPECT_FALSE(out[0].allowed);
    EXPECT_FALSE(out[0].first_rejection);  // logged once per window, not per request
    RateRequest next[] = {req("fw", RateAlgorithm::fixed_window, 5, 60s, t0 + 60000)};
    ASSERT_TRUE(s().rate_hit(next, out));
    EXPECT_TRUE(out[0].allowed);
}

TEST_P(StoreTest, RateHitIsAllOrNothingAcrossLimits) {
    const std::int64_t t0 = 1'700'000'000'000;
    RateOutcome out[2];
    for (int i = 0; i < 3; ++i) {
        RateRequest r[] = {req("day", RateAlgorithm::fixed_window, 100, 24h, t0),
                           req("min", RateAlgorithm::fixed_window, 2, 60s, t0)};
        ASSERT_TRUE(s().rate_hit(r, out));
        EXPECT_EQ(out[0].allowed && out[1].allowed, i < 2) << i;
    }
    // the rejected third hit was not counted against the daily limit
    RateRequest day[] = {req("day", RateAlgorithm::fixed_window, 100, 24h, t0)};
    RateOutcome one[1];
    ASSERT_TRUE(s().rate_hit(day, one));
    EXPECT_EQ(one[0].remaining, 97);
}

// Every backend must agree with the reference model (rate_step over a map) hit for hit;
// for Redis this checks the Lua mirror of rate_math.cpp.
TEST_P(StoreTest, AlgorithmsMatchTheReferenceModel) {
    struct Case { const char* name; RateAlgorithm algorithm; std::int64_t limit; Ttl period; };
    const Case cases[] = {
        {"fixed_5_per_second", RateAlgorithm::fixed_window, 5, 1s},
        {"sliding_5_per_second", RateAlgorithm::sliding_window, 5, 1s},
        {"sliding_7_per_minute", RateAlgorithm::sliding_window, 7, 60s},
        {"gcra_5_per_second", RateAlgorithm::gcra, 5, 1s},
        {"gcra_3_per_hour", RateAlgorithm::gcra, 3, 1h},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::map<std::string, detail::RateState> model;
        std::int64_t now = 1'700'000'000'123;
        std::uint32_t x = 12345;
        std::string key = std::string("model_") + c.name;
        for (int i = 0; i < 60; ++i) {
            x = x * 1103515245u + 12345u;  // deterministic steps for the test only
            now += (x >> 16) % (c.period.count() / 4 + 1);
            RateRequest r[] = {RateRequest{key, c.algorithm, c.limit, c.period, 1 + (i % 7 == 0), now}};
            RateOutcome got[1];
            ASSERT_TRUE(s().rate_hit(r, got));
            auto it = model.find(key);
            auto step = detail::rate_step(it == model.end() ? nullptr : &it->second, r[0]);
            if (step.outcome.allowed) model[key] = step.if_counted;
            else if (step.outcome.first_rejection) model[key] = step.if_rejected;
            EXPECT_EQ(got[0].allowed, step.outcome.allowed) << i;
            EXPECT_EQ(got[0].remaining, step.outcome.remaining) << i;
            EXPECT_EQ(got[0].reset, step.outcome.reset) << i;
            EXPECT_EQ(got[0].retry_after, step.outcome.retry_after) << i;
            EXPECT_EQ(got[0].first_rejection, step.outcome.first_rejection) << i;
        }
    }
}

TEST_P(StoreTest, InvalidRateRequestsAreRefused) {
    RateOutcome out[1];
    RateRequest zero_limit[] = {RateRequest{"bad", RateAlgorithm::gcra, 0, 1s, 1, 1}};
    EXPECT_FALSE(s().rate_hit(zero_limit, out));
    RateRequest zero_period[] = {RateRequest{"bad", RateAlgorithm::fixed_window, 1, Ttl{0}, 1, 1}};
    EXPECT_FALSE(s().rate_hit(zero_period, out));
    RateRequest mismatched[] = {RateRequest{"bad", RateAlgorithm::fixed_window, 1, 1s, 1, 1}};
    EXPECT_FALSE(s().rate_hit(mismatched, std::span<RateOutcome>{}));
}

TEST_P(StoreTest, ConcurrentRateHitsAllowExactlyTheLimit) {
    std::atomic<int> allowed{0};
    const std::int64_t t0 = 1'700'000'000'000;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                RateRequest r[] = {req("exact", RateAlgorithm::fixed_window, 5, 60s, t0)};
                RateOutcome out[1];
                if (s().rate_hit(r, out) && out[0].allowed) ++allowed;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed.load(), 5);
}

#ifdef BULWARK_STORE_TEST_REDIS
INSTANTIATE_TEST_SUITE_P(Redis, StoreTest, ::testing::Values(std::string("redis")));
#else
INSTANTIATE_TEST_SUITE_P(Local, StoreTest, ::testing::Values(std::string("memory"), std::string("sqlite")));

TEST(StoreOpen, UrlsTable) {
    struct Case { const char* name; const char* url; bool ok; };
    const Case cases[] = {
        {"memory", "memory://", true},
        {"memory_caps", "memory://?max_bytes=1048576&max_entries=1000", true},
        {"memory_bad_option", "memory://?color=red", false},
        {"memory_bad_number", "memory://?max_bytes=lots", false},
        {"memory_tiny_cap", "memory://?max_bytes=1", false},
        {"memory_path", "memory://x", false},
        {"sqlite_relative", "sqlite://relative.db", false},
        {"sqlite_empty", "sqlite://", false},
        {"redis_bad_port", "redis://127.0.0.1:99999/0", false},
        {"redis_bad_db", "redis://127.0.0.1:6379/x", false},
        {"redis_no_host", "redis://:6379", false},
        {"redis_bad_host", "redis://a b:6379", false},
        {"redis_lazy", "redis://127.0.0.1:1/0?timeout_ms=50", true},
        {"redis_ipv6", "redis://[::1]:1?pool=2", true},
        {"redis_unterminated_ipv6", "redis://[::1:1", false},
        {"redis_bad_pool", "redis://127.0.0.1?pool=0", false},
        {"unknown_scheme", "mongodb://x", false},
        {"empty", "", false},
    };
    for (const auto& c : cases) {
        auto r = open(c.url);
        EXPECT_EQ(static_cast<bool>(r), c.ok) << c.name;
        if (!c.ok && !r) {
            EXPECT_EQ(r.error(), StoreError::bad_url) << c.name;
        }
    }
    EXPECT_EQ(open(std::string(5000, 'm')).error(), StoreError::bad_url);
}

TEST(StoreOpen, UnreachableRedisAnswersUnavailablePromptly) {
    auto s = open("redis://127.0.0.1:1/0?timeout_ms=100");
    ASSERT_TRUE(s);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = (*s)->get("k");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), StoreError::unavailable);
    RateRequest q[] = {RateRequest{"k", RateAlgorithm::gcra, 5, 1s, 1, 1'700'000'000'000}};
    RateOutcome out[1];
    EXPECT_EQ((*s)->rate_hit(q, out).error(), StoreError::unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST(StoreOpen, SqliteIsSharedBetweenProcesses) {
    const std::string path = "/tmp/" + unique("bulwark_store_mp_") + ".db";
    {
        auto s = open("sqlite://" + path);
        ASSERT_TRUE(s);
    }
    constexpr int kChildren = 3, kEach = 100;
    std::vector<pid_t> kids;
    for (int c = 0; c < kChildren; ++c) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            auto s = open("sqlite://" + path);
            int bad = 0;
            if (!s) _exit(2);
            for (int i = 0; i < kEach; ++i)
                if (!(*s)->increment("mp", 1, Ttl{0})) ++bad;
            _exit(bad == 0 ? 0 : 1);
        }
        kids.push_back(pid);
    }
    for (pid_t pid : kids) {
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto s = open("sqlite://" + path);
    ASSERT_TRUE(s);
    EXPECT_EQ(*(*s)->increment("mp", 0, Ttl{0}), kChildren * kEach);
    s = StoreError::internal;
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
#endif

}  // namespace
}  // namespace bulwark::store
