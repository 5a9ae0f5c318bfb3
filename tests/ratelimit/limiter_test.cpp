// limiter_test.cpp: Limiter::check over the memory store with a fake clock, the strategies,
// store failure policies, and the memory cap under a flood of spoofed addresses.
#include <bulwark/ratelimit.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace bulwark::ratelimit {
namespace {

using namespace std::chrono_literals;
constexpr std::int64_t kT0 = 1'700'000'000'000;

struct Fixture {
    std::shared_ptr<store::Store> store = *store::open("memory://");
    std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(kT0);
    Config config(Strategy s = Strategy::fixed_window) {
        Config c;
        c.strategy = s;
        c.now_ms = [n = now] { return n->load(); };
        return c;
    }
};

// DownStore: a store whose backend is unreachable.
class DownStore final : public store::Store {
public:
    using E = store::StoreError;
    Result<std::optional<std::string>, E> get(std::string_view) override { return E::unavailable; }
    Result<void, E> set(std::string_view, std::string_view, store::Ttl) override { return E::unavailable; }
    Result<bool, E> set_if_absent(std::string_view, std::string_view, store::Ttl) override { return E::unavailable; }
    Result<std::optional<std::string>, E> take(std::string_view) override { return E::unavailable; }
    Result<bool, E> erase(std::string_view) override { return E::unavailable; }
    Result<std::int64_t, E> increment(std::string_view, std::int64_t, store::Ttl) override { return E::unavailable; }
    Result<std::optional<store::Ttl>, E> ttl(std::string_view) override { return E::unavailable; }
    Result<void, E> rate_hit(std::span<const store::RateRequest>, std::span<store::RateOutcome>) override {
        return E::unavailable;
    }
    std::string_view backend() const noexcept override { return "down"; }
};

TEST(Limiter, FiveAMinuteThenRefusedAndLoggedOnce) {
    Fixture f;
    Limiter limiter(f.store, f.config());
    auto limits = parse_or_throw("5 per minute");
    const std::string key = address_key("203.0.113.7");
    for (int i = 0; i < 5; ++i) {
        auto d = limiter.check("login", key, limits);
        EXPECT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.limit, 5);
        EXPECT_EQ(d.remaining, 4 - i);
        EXPECT_EQ(d.reset, 60s);
        EXPECT_EQ(d.window, 60s);
        EXPECT_FALSE(d.degraded);
    }
    *f.now += 20'000;
    auto refused = limiter.check("login", key, limits);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.remaining, 0);
    EXPECT_EQ(refused.retry_after, 40s);
    EXPECT_EQ(refused.reset_at, kT0 / 1000 + 60);
    EXPECT_TRUE(refused.first_exceeded_in_window);
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.check("login", key, limits).first_exceeded_in_window);
    *f.now += 40'000;
    EXPECT_TRUE(limiter.check("login", key, limits).allowed);
    // other keys and scopes are untouched
    EXPECT_TRUE(limiter.check("login", address_key("203.0.113.8"), limits).allowed);
    EXPECT_TRUE(limiter.check("signup", key, limits).allowed);
}

TEST(Limiter, SeveralLimitsReportTheTightestAndTheLongestWait) {
    Fixture f;
    Limiter limiter(f.store, f.config());
    auto limits = parse_or_throw("200 per day; 2 per minute");
    auto d1 = limiter.check("api", "user:1", limits);
    EXPECT_EQ(d1.limit, 2);
    EXPECT_EQ(d1.remaining, 1);
    EXPECT_TRUE(limiter.check("api", "user:1", limits).allowed);
    auto refused = limiter.check("api", "user:1", limits);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.limit, 2);
    EXPECT_EQ(refused.retry_after, 60s);
    *f.now += 60'000;
    auto later = limiter.check("api", "user:1", limits);
    EXPECT_TRUE(later.allowed);
    // the refused hit was not counted against the daily limit
    auto day_only = limiter.check("api", "user:1", parse_or_throw("200 per day"));
    EXPECT_EQ(day_only.remaining, 200 - 4);
}

TEST(Limiter, StrategiesAreSelectable) {
    struct Case { const char* name; Strategy strategy; bool allowed_after_12s; };
    const Case cases[] = {
        {"fixed_window_waits_for_the_window", Strategy::fixed_window, false},
        {"sliding_window_waits_for_the_weight", Strategy::sliding_window, false},
        {"gcra_refills_one_every_12s", Strategy::gcra, true},
    };
    for (const auto& c : cases) {
        Fixture f;
        Limiter limiter(f.store, f.config(c.strategy));
        auto limits = parse_or_throw("5 per minute");
        for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.check("s", "k", limits).allowed) << c.name;
        EXPECT_FALSE(limiter.check("s", "k", limits).allowed) << c.name;
        *f.now += 12'000;
        EXPECT_EQ(limiter.check("s", "k", limits).allowed, c.allowed_after_12s) << c.name;
    }
}

TEST(Limiter, CostCountsSeveralHits) {
    Fixture f;
    Limiter limiter(f.store, f.config());
    auto limits = parse_or_throw("10 per minute");
    EXPECT_EQ(limiter.check("bulk", "k", limits, 7).remaining, 3);
    EXPECT_FALSE(limiter.check("bulk", "k", limits, 4).allowed);
    EXPECT_TRUE(limiter.check("bulk", "k", limits, 3).allowed);
}

TEST(Limiter, NoLimitsAllowsWithoutTouchingTheStore) {
    Limiter limiter(std::make_shared<DownStore>());
    auto d = limiter.check("free", "k", {});
    EXPECT_TRUE(d.allowed);
    EXPECT_FALSE(d.degraded);
    EXPECT_TRUE(headers(d).empty());
}

TEST(Limiter, ForgedSeparatorsCannotShareABucket) {
    Fixture f;
    Limiter limiter(f.store, f.config());
    auto limits = parse_or_throw("1 per minute");
    EXPECT_TRUE(limiter.check("a|b", "c", limits).allowed);
    EXPECT_TRUE(limiter.check("a", "b|c", limits).allowed);
    EXPECT_TRUE(limiter.check("a", std::string(5000, 'x'), limits).allowed);  // hashed, not refused
    EXPECT_FALSE(limiter.check("a", std::string(5000, 'x'), limits).allowed);
}

TEST(Limiter, StoreDownFailsOpenToALocalLimiter) {
    Config c;
    c.now_ms = [] { return kT0; };
    Limiter limiter(std::make_shared<DownStore>(), c);
    auto limits = parse_or_throw("3 per minute");
    for (int i = 0; i < 3; ++i) {
        auto d = limiter.check("login", "k", limits);
        EXPECT_TRUE(d.allowed);
        EXPECT_TRUE(d.degraded);
        EXPECT_EQ(d.store_error, store::StoreError::unavailable);
    }
    auto d = limiter.check("login", "k", limits);
    EXPECT_FALSE(d.allowed);  // still limited, per instance
    EXPECT_TRUE(d.first_exceeded_in_window);
}

TEST(Limiter, StoreDownFailsClosedWhenConfigured) {
    Config c;
    c.on_store_failure = OnStoreFailure::fail_closed;
    Limiter limiter(std::make_shared<DownStore>(), c);
    auto d = limiter.check("login", "k", parse_or_throw("3 per minute"));
    EXPECT_FALSE(d.allowed);
    EXPECT_TRUE(d.degraded);
    EXPECT_EQ(d.retry_after, 5s);
}

TEST(Limiter, UnreachableRedisIsDecidedWithinTheTimeout) {
    auto s = store::open("redis://127.0.0.1:1/0?timeout_ms=100");
    ASSERT_TRUE(s);
    Limiter limiter(*s);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        auto d = limiter.check("login", "k", parse_or_throw("5 per minute"));
        EXPECT_EQ(d.allowed, i < 5);
        EXPECT_TRUE(d.degraded);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(Limiter, ConcurrentChecksAllowExactlyTheLimit) {
    Fixture f;
    Limiter limiter(f.store, f.config());
    auto limits = parse_or_throw("5 per minute");
    std::atomic<int> allowed{0}, first{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 125; ++i) {
                auto d = limiter.check("login", "k", limits);
                allowed += d.allowed;
                first += d.first_exceeded_in_window;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(allowed.load(), 5);
    EXPECT_EQ(first.load(), 1);
}

TEST(Limiter, FloodOfSpoofedAddressesStaysUnderTheCap) {
    constexpr std::size_t kCap = 8 << 20;
    auto store = *store::open("memory://?max_bytes=" + std::to_string(kCap) + "&max_entries=100000000");
    Limiter limiter(store);
    auto limits = parse_or_throw("5 per minute");
    for (std::uint32_t i = 0; i < 1'000'000; ++i) {
        // a distinct /64 each time, so IPv6 grouping does not merge them
        char addr[64];
        std::snprintf(addr, sizeof addr, "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
        ASSERT_TRUE(limiter.check("login", address_key(addr), limits).allowed);
    }
    auto u = *store->usage();
    EXPECT_LE(u.bytes, kCap);
    EXPECT_GT(u.entries, 10'000u);
}

}  // namespace
}  // namespace bulwark::ratelimit
