// rate_math.cpp: fixed window, sliding window counter and GCRA as pure state steps.
// Keep it in step with the Lua in redis_scripts.cpp: the parameterized store tests run the
// same table against both and expect identical outcomes.
#include "rate_math.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace bulwark::store::detail {
namespace {

constexpr std::int64_t kMaxPeriodMs = std::int64_t{1} << 40;  // ~34 years
constexpr std::int64_t kMaxLimit = std::int64_t{1} << 40;
constexpr std::int64_t kMaxNowMs = 4'000'000'000'000;  // year 2096; now in µs stays under 2^53

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// mul_div is floor(x * y / z) in doubles, the very operations the Lua script performs, so
// both agree even where the product passes 2^53; clamped so the cast back is defined.
std::int64_t mul_div(std::int64_t x, std::int64_t y, std::int64_t z) {
    const double q = std::floor(static_cast<double>(x) * static_cast<double>(y) / static_cast<double>(z));
    return static_cast<std::int64_t>(std::clamp(q, -4.0e18, 4.0e18));
}

RateStep fixed_window(const RateState* cur, const RateRequest& r) {
    const std::int64_t p = r.period.count();
    RateState s = cur ? *cur : RateState{};
    if (!cur || r.now_ms >= s.a + p || r.now_ms < s.a - p) s = RateState{r.now_ms, 0, 0, 0};
    RateStep step;
    const std::int64_t left = std::max<std::int64_t>(1, s.a + p - r.now_ms);
    step.keep_ms = left;
    step.outcome.reset = Ttl{left};
    step.if_counted = s;
    step.if_rejected = s;
    if (s.b + r.cost <= r.limit) {
        step.outcome.allowed = true;
        step.if_counted.b = s.b + r.cost;
        step.outcome.remaining = r.limit - step.if_counted.b;
    } else {
        step.outcome.remaining = std::max<std::int64_t>(0, r.limit - s.b);
        step.outcome.retry_after = Ttl{left};
        step.outcome.first_rejection = s.d == 0;
        step.if_rejected.d = 1;
    }
    return step;
}

RateStep sliding_window(const RateState* cur, const RateRequest& r) {
    const std::int64_t p = r.period.count();
    const std::int64_t idx = r.now_ms / p;
    RateState s = cur ? *cur : RateState{};
    if (!cur) {
        s = RateState{idx + 1, 0, 0, 0};
    } else if (s.a == idx) {  // the stored window is the previous one
        s = RateState{idx + 1, 0, s.b, s.d};
    } else if (s.a != idx + 1) {  // older than that, or from the future (clock skew)
        s = RateState{idx + 1, 0, 0, s.d};
    }
    const std::int64_t elapsed = r.now_ms - idx * p;
    const std::int64_t to_next = p - elapsed;
    const std::int64_t estimate = mul_div(s.c, to_next, p) + s.b;
    RateStep step;
    step.keep_ms = to_next + p;
    step.outcome.reset = Ttl{to_next};
    step.if_counted = s;
    step.if_rejected = s;
    if (estimate + r.cost <= r.limit) {
        step.outcome.allowed = true;
        step.if_counted.b = s.b + r.cost;
        step.outcome.remaining = r.limit - estimate - r.cost;
        return step;
    }
    step.outcome.remaining = std::max<std::int64_t>(0, r.limit - estimate);
    // retry_after: when the weighted estimate will have fallen far enough.
    std::int64_t wait = 0;
    const std::int64_t room = r.limit - s.b - r.cost;
    if (room >= 0 && s.c > 0) {
        // need c * (p - e') / p <= room, i.e. e' >= p - (room + 1) * p / c (+1 for the floor)
        wait = std::max<std::int64_t>(1, p - mul_div(room + 1, p, s.c) + 1 - elapsed);
    } else {
        const std::int64_t room_next = r.limit - r.cost;
        wait = to_next;
        if (room_next < 0) {
            wait += p;
        } else if (s.b > 0) {
            wait += std::max<std::int64_t>(0, p - mul_div(room_next + 1, p, s.b) + 1);
        }
    }
    step.outcome.retry_after = Ttl{std::max<std::int64_t>(1, wait)};
    step.outcome.first_rejection = s.d != idx + 1;
    step.if_rejected.d = idx + 1;
    return step;
}

RateStep gcra(const RateState* cur, const RateRequest& r) {
    const std::int64_t p = r.period.count();
    const std::int64_t now_us = r.now_ms * 1000;
    const std::int64_t interval = std::max<std::int64_t>(1, p * 1000 / r.limit);
    const std::int64_t tau = interval * r.limit;  // exactly `limit` hits of burst
    RateState s = cur ? *cur : RateState{};
    const std::int64_t tat = std::max(s.a, now_us);
    const std::int64_t new_tat = tat + r.cost * interval;
    RateStep step;
    step.if_counted = s;
    step.if_rejected = s;
    if (new_tat - now_us <= tau) {
        step.outcome.allowed = true;
        step.if_counted.a = new_tat;
        step.outcome.remaining = (tau - (new_tat - now_us)) / interval;
        step.outcome.reset = Ttl{ceil_div(new_tat - now_us, 1000)};
        step.keep_ms = ceil_div(new_tat - now_us, 1000) + p;
        return step;
    }
    step.outcome.remaining = std::max<std::int64_t>(0, (tau - (tat - now_us)) / interval);
    step.outcome.reset = Ttl{ceil_div(tat - now_us, 1000)};
    step.outcome.retry_after = Ttl{std::max<std::int64_t>(1, ceil_div(new_tat - tau - now_us, 1000))};
    step.outcome.first_rejection = s.d == 0 || r.now_ms - (s.d - 1) >= p;
    if (step.outcome.first_rejection) step.if_rejected.d = r.now_ms + 1;
    step.keep_ms = ceil_div(tat - now_us, 1000) + p;
    return step;
}

}  // namespace

bool valid(const RateRequest& r) noexcept {
    // cost <= limit keeps GCRA's cost * interval under period * 1000 µs < 2^50.
    return r.limit > 0 && r.limit <= kMaxLimit && r.period.count() > 0 &&
           r.period.count() <= kMaxPeriodMs && r.cost > 0 && r.cost <= r.limit && r.now_ms >= 0 &&
           r.now_ms <= kMaxNowMs;
}

RateStep rate_step(const RateState* current, const RateRequest& r) noexcept {
    switch (r.algorithm) {
        case RateAlgorithm::sliding_window: return sliding_window(current, r);
        case RateAlgorithm::gcra: return gcra(current, r);
        case RateAlgorithm::fixed_window: break;
    }
    return fixed_window(current, r);
}

std::string encode_state(const RateState& s) {
    std::string out;
    out.reserve(64);
    char buf[24];
    for (std::int64_t v : {s.a, s.b, s.c, s.d}) {
        if (!out.empty()) out.push_back(':');
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        (void)ec;
        out.append(buf, end);
    }
    return out;
}

std::optional<RateState> decode_state(std::string_view text) noexcept {
    std::int64_t v[4] = {0, 0, 0, 0};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 4; ++i) {
        auto [next, ec] = std::from_chars(p, end, v[i]);
        if (ec != std::errc{}) return std::nullopt;
        p = next;
        if (i < 3) {
            if (p == end || *p != ':') return std::nullopt;
            ++p;
        }
    }
    if (p != end) return std::nullopt;
    return RateState{v[0], v[1], v[2], v[3]};
}

}  // namespace bulwark::store::detail
