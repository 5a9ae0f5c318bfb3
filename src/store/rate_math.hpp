// rate_math.hpp: the three counting algorithms as pure functions over a small state, so
// the memory and SQLite backends share one implementation and the Redis Lua script
// (redis_scripts.cpp) mirrors it line by line. Times are the caller's wall clock.
#pragma once

#include <bulwark/store.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::store::detail {

// RateState: four integers whose meaning depends on the algorithm.
//   fixed_window:   a = window start (ms), b = count, d = 1 once a rejection was flagged
//   sliding_window: a = window index + 1, b = count now, c = count in the previous window,
//                   d = window index + 1 of the last flagged rejection
//   gcra:           a = theoretical arrival time (µs), d = time of the last flagged rejection + 1 (ms)
struct RateState {
    std::int64_t a = 0, b = 0, c = 0, d = 0;
};

// RateStep: the outcome of one hit and the state to write for each overall verdict.
struct RateStep {
    RateOutcome outcome;
    RateState if_counted;   // write when the whole batch is allowed
    RateState if_rejected;  // write when the batch is rejected (only the flag moves)
    std::int64_t keep_ms = 1;  // how long the written state must live
};

// valid: limits the store accepts (positive limit, period, cost; bounded so µs fit in 53 bits).
bool valid(const RateRequest& r) noexcept;

// rate_step applies a hit to `current` (nullptr when the key holds nothing live).
RateStep rate_step(const RateState* current, const RateRequest& r) noexcept;

// Text form "a:b:c:d" shared by the SQLite and Redis backends.
std::string encode_state(const RateState& s);
std::optional<RateState> decode_state(std::string_view text) noexcept;

}  // namespace bulwark::store::detail
