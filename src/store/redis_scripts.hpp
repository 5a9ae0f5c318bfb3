// redis_scripts.hpp: the Lua the Redis backend runs server-side, so that each atomic
// operation is one round trip (EVALSHA, falling back to EVAL after a SCRIPT FLUSH).
#pragma once

namespace bulwark::store::detail {

// KEYS[1] = key; ARGV = by, ttl_ms (0 = none). The expiry is set only when the key is new.
extern const char* const kIncrementScript;

// KEYS = one key per limit; ARGV = 5 per key: algorithm (0 fixed, 1 sliding, 2 gcra), limit,
// period_ms, cost, now_ms. Returns 5 integers per key: allowed, remaining, reset_ms,
// retry_after_ms, first_rejection. Mirrors rate_math.cpp exactly.
extern const char* const kRateScript;

}  // namespace bulwark::store::detail
