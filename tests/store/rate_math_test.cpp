// rate_math_test.cpp: known answers for the three algorithms and the state encoding.
#include "rate_math.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace bulwark::store::detail {
namespace {

using namespace std::chrono_literals;

struct Hit {
    std::int64_t at_ms;
    bool allowed;
    std::int64_t remaining;
    std::int64_t retry_after_ms;
    bool first_rejection;
};

void run(RateAlgorithm a, std::int64_t limit, Ttl period, const std::vector<Hit>& hits) {
    std::optional<RateState> state;
    for (std::size_t i = 0; i < hits.size(); ++i) {
        const Hit& h = hits[i];
        RateRequest r{"k", a, limit, period, 1, h.at_ms};
        RateStep s = rate_step(state ? &*state : nullptr, r);
        EXPECT_EQ(s.outcome.allowed, h.allowed) << "hit " << i;
        EXPECT_EQ(s.outcome.remaining, h.remaining) << "hit " << i;
        EXPECT_EQ(s.outcome.retry_after.count(), h.retry_after_ms) << "hit " << i;
        EXPECT_EQ(s.outcome.first_rejection, h.first_rejection) << "hit " << i;
        EXPECT_GT(s.keep_ms, 0);
        if (s.outcome.allowed) state = s.if_counted;
        else state = s.if_rejected;
    }
}

TEST(RateMath, FixedWindowStartsAtTheFirstHit) {
    run(RateAlgorithm::fixed_window, 2, 10s,
        {{1000, true, 1, 0, false},
         {2000, true, 0, 0, false},
         {3000, false, 0, 8000, true},
         {4000, false, 0, 7000, false},
         {11000, true, 1, 0, false},  // window 1000..11000 is over
         {11500, true, 0, 0, false},
         {12000, false, 0, 9000, true}});  // a new window logs again
}

TEST(RateMath, SlidingWindowWeighsThePreviousWindow) {
    // limit 4 per 10 s, windows aligned to multiples of 10 s
    run(RateAlgorithm::sliding_window, 4, 10s,
        {{10000, true, 3, 0, false},
         {11000, true, 2, 0, false},
         {12000, true, 1, 0, false},
         {13000, true, 0, 0, false},
         {14000, false, 0, 6001, true},  // next window: floor(4 * (10 s - e) / 10 s) < 4 once e >= 1 ms
         {20000, false, 0, 1, true},     // the estimate is still 4 at the window start; first in this window
         {22600, true, 1, 0, false}});   // floor(4 * 7.4 / 10) = 2 in use, +1, 1 left
}

TEST(RateMath, GcraSpacesHitsEvenly) {
    // 2 per 10 s: a burst of 2, then one every 5 s
    run(RateAlgorithm::gcra, 2, 10s,
        {{0, true, 1, 0, false},
         {0, true, 0, 0, false},
         {1000, false, 0, 4000, true},
         {2000, false, 0, 3000, false},
         {5000, true, 0, 0, false},
         {5000, false, 0, 5000, false},  // within 10 s of the last flagged rejection
         {12000, true, 0, 0, false},
         {13000, false, 0, 2000, true},  // 12 s after the first flag: logged again
         {40000, true, 1, 0, false}});
}

TEST(RateMath, CostAboveTheLimitIsAlwaysRejected) {
    for (auto a : {RateAlgorithm::fixed_window, RateAlgorithm::sliding_window, RateAlgorithm::gcra}) {
        RateRequest r{"k", a, 3, 1s, 4, 5000};
        EXPECT_FALSE(rate_step(nullptr, r).outcome.allowed);
    }
}

TEST(RateMath, ValidRefusesNonsense) {
    struct Case { const char* name; RateRequest r; bool ok; };
    const Case cases[] = {
        {"fine", {"k", RateAlgorithm::gcra, 5, 1s, 1, 1}, true},
        {"zero_limit", {"k", RateAlgorithm::gcra, 0, 1s, 1, 1}, false},
        {"negative_limit", {"k", RateAlgorithm::gcra, -1, 1s, 1, 1}, false},
        {"zero_period", {"k", RateAlgorithm::gcra, 5, Ttl{0}, 1, 1}, false},
        {"zero_cost", {"k", RateAlgorithm::gcra, 5, 1s, 0, 1}, false},
        {"huge_limit", {"k", RateAlgorithm::gcra, std::int64_t{1} << 50, 1s, 1, 1}, false},
        {"negative_time", {"k", RateAlgorithm::gcra, 5, 1s, 1, -1}, false},
        {"far_future", {"k", RateAlgorithm::gcra, 5, 1s, 1, std::int64_t{1} << 60}, false},
    };
    for (const auto& c : cases) EXPECT_EQ(valid(c.r), c.ok) << c.name;
}

TEST(RateMath, StateTextRoundTripsAndRefusesGarbage) {
    RateState s{1'700'000'000'000'000, 7, -3, 42};
    auto back = decode_state(encode_state(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->a, s.a);
    EXPECT_EQ(back->c, s.c);
    for (const char* bad : {"", "1:2:3", "1:2:3:4:5", "a:b:c:d", "1:2:3:4 ", "99999999999999999999:1:1:1"})
        EXPECT_FALSE(decode_state(bad)) << bad;
}

}  // namespace
}  // namespace bulwark::store::detail
