// bulwark/store.hpp: the key-value store that stateful components share.
//
// Sessions, rate-limit counters, login throttles, revoked tokens and replay caches all
// keep their state here, so one setting moves them all from one process to many:
// `memory://` (in-process, sharded, capped), `sqlite:///path/file.db` (one machine, several
// processes, survives restarts) or `redis://host:port/db` (many instances).
//
// Security model: keys and values are opaque bytes chosen by the calling component, which
// never stores a raw secret (a session id is stored only as a keyed hash, a token by its
// jti). Every call has a timeout; a backend that cannot answer returns StoreError, it never
// blocks forever and never throws.
//
//     auto store = bulwark::store::open("memory://");
//     auto n = (*store)->increment("rl:1.2.3.4", 1, std::chrono::seconds(60));
#pragma once

#include <bulwark/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::store {

// StoreError: why a call failed. None of them carries the key or the value.
enum class StoreError {
    unavailable,  // the backend cannot be reached (connection refused, timed out, closed)
    too_large,    // key or value over the backend's limit
    bad_url,      // open(): the URL is malformed or names an unknown scheme
    internal,     // the backend answered something unexpected
};
std::string_view error_name(StoreError e) noexcept;

using Ttl = std::chrono::milliseconds;

// RateAlgorithm: how rate_hit counts (docs/ratelimit.md compares them).
enum class RateAlgorithm {
    fixed_window,    // a window of `period` starting at the first hit; cheapest, bursts at edges
    sliding_window,  // two aligned windows, the previous one weighted by its overlap
    gcra,            // generic cell rate algorithm: a token bucket of `limit` refilled evenly
};

// RateRequest: one limit to count a hit against. `now_ms` is the caller's wall clock
// (milliseconds since the epoch), so every instance and backend computes alike.
struct RateRequest {
    std::string_view key;
    RateAlgorithm algorithm = RateAlgorithm::fixed_window;
    std::int64_t limit = 1;     // hits allowed per period (> 0)
    Ttl period{1000};           // > 0
    std::int64_t cost = 1;      // > 0
    std::int64_t now_ms = 0;
};

// RateOutcome: what one limit says about the hit.
struct RateOutcome {
    bool allowed = false;
    std::int64_t remaining = 0;       // hits left in the current window after this one
    Ttl reset{0};                     // until the window resets (the bucket is full again)
    Ttl retry_after{0};               // when rejected: until a retry can succeed
    bool first_rejection = false;     // the first rejection of this key in this window
};

// Store: a small key-value interface with TTLs and atomic counters. Implementations are
// thread-safe. A TTL of zero means "no expiry"; expired entries are never returned.
class Store {
public:
    virtual ~Store() = default;

    virtual Result<std::optional<std::string>, StoreError> get(std::string_view key) = 0;
    virtual Result<void, StoreError> set(std::string_view key, std::string_view value, Ttl ttl) = 0;
    // set_if_absent stores only when no live entry exists; true when it stored. Atomic.
    virtual Result<bool, StoreError> set_if_absent(std::string_view key, std::string_view value,
                                                   Ttl ttl) = 0;
    // take atomically reads and erases (single-use tokens).
    virtual Result<std::optional<std::string>, StoreError> take(std::string_view key) = 0;
    virtual Result<bool, StoreError> erase(std::string_view key) = 0;
    // increment adds `by` atomically and returns the new value; a missing or expired key
    // starts at 0 and gets `ttl_if_new` as its expiry (an existing key keeps its expiry).
    virtual Result<std::int64_t, StoreError> increment(std::string_view key, std::int64_t by,
                                                       Ttl ttl_if_new) = 0;
    // ttl returns the time left on a live key (nullopt when missing or without expiry).
    virtual Result<std::optional<Ttl>, StoreError> ttl(std::string_view key) = 0;
    // rate_hit counts one hit against several limits atomically, all or nothing: when every
    // limit allows it, each counts it; when any rejects it, none does. Writes one outcome per
    // request into `out` (same size). One round trip on Redis. Thread-safe.
    virtual Result<void, StoreError> rate_hit(std::span<const RateRequest> requests,
                                              std::span<RateOutcome> out) = 0;

    // Usage: what the store holds, for the memory cap and diagnostics (approximate bytes).
    struct Usage {
        std::size_t entries = 0;
        std::size_t bytes = 0;
    };
    // usage: the memory backend's accounting; nullopt for backends that keep no count.
    virtual std::optional<Usage> usage() const { return std::nullopt; }

    // backend names the kind ("memory", "sqlite", "redis") for logs and diagnostics.
    virtual std::string_view backend() const noexcept = 0;
};

// open chooses a backend by URL scheme: memory://, sqlite:///abs/path.db, redis://host:port/db.
// Options ride in the query string (docs/store.md has the table):
//   memory://?max_bytes=67108864&max_entries=1000000
//   sqlite:///var/lib/app/state.db?busy_timeout_ms=2000
//   redis://:password@127.0.0.1:6379/0?timeout_ms=250&pool=8&prefix=app:
// Errors: bad_url for a malformed URL or option, unavailable when the backend cannot be
// opened (a Redis server that is down is not an error here: the pool connects lazily).
Result<std::shared_ptr<Store>, StoreError> open(std::string_view url);

}  // namespace bulwark::store
