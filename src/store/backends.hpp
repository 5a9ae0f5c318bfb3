// backends.hpp: the option structs open() parses from a URL, and the backend factories.
#pragma once

#include <bulwark/store.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace bulwark::store::detail {

struct MemoryOptions {
    std::size_t max_bytes = std::size_t{64} << 20;  // 64 MiB, keys + values + bookkeeping
    std::size_t max_entries = 1'000'000;
};

struct SqliteOptions {
    std::string path;
    int busy_timeout_ms = 2000;
};

struct RedisOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 0;
    std::string username;
    std::string password;
    int timeout_ms = 250;  // connect, read and write, and the wait for a pooled connection
    int pool = 8;
    std::string prefix;    // prepended to every key, to share one server between apps or tests
};

std::shared_ptr<Store> make_memory_store(const MemoryOptions& options);
Result<std::shared_ptr<Store>, StoreError> make_sqlite_store(const SqliteOptions& options);
std::shared_ptr<Store> make_redis_store(const RedisOptions& options);

// The largest key and value any backend accepts (too_large beyond).
inline constexpr std::size_t kMaxKeyBytes = 1024;
inline constexpr std::size_t kMaxValueBytes = std::size_t{1} << 20;

inline bool key_ok(std::string_view key) { return !key.empty() && key.size() <= kMaxKeyBytes; }

}  // namespace bulwark::store::detail
