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
#include <cstdint>
#include <memory>
#include <optional>
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
    // backend names the kind ("memory", "sqlite", "redis") for logs and diagnostics.
    virtual std::string_view backend() const noexcept = 0;
};

// open chooses a backend by URL scheme: memory://, sqlite:///abs/path.db, redis://host:port/db.
Result<std::shared_ptr<Store>, StoreError> open(std::string_view url);

}  // namespace bulwark::store
