// open.cpp: the URL grammar that picks and configures a backend, and error_name.
#include "backends.hpp"

#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

namespace bulwark::store {

std::string_view error_name(StoreError e) noexcept {
    switch (e) {
        case StoreError::unavailable: return "unavailable";
        case StoreError::too_large: return "too_large";
        case StoreError::bad_url: return "bad_url";
        case StoreError::internal: return "internal";
    }
    return "unknown";
}

namespace {

constexpr std::size_t kMaxUrl = 4096;

template <class Int>
bool parse_int(std::string_view text, Int& out, Int lo, Int hi) {
    Int v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < lo || v > hi) return false;
    out = v;
    return true;
}

// for_each_option calls f(name, value) for each `name=value` of a query; false on a malformed one.
template <class F>
bool for_each_option(std::string_view query, F f) {
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        if (eq == std::string_view::npos || eq == 0) return false;
        if (!f(pair.substr(0, eq), pair.substr(eq + 1))) return false;
    }
    return true;
}

void split_query(std::string_view& rest, std::string_view& query) {
    auto q = rest.find('?');
    if (q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
}

Result<std::shared_ptr<Store>, StoreError> open_memory(std::string_view rest) {
    std::string_view query;
    split_query(rest, query);
    if (!rest.empty()) return StoreError::bad_url;
    detail::MemoryOptions o;
    bool ok = for_each_option(query, [&](std::string_view k, std::string_view v) {
        if (k == "max_bytes") return parse_int<std::size_t>(v, o.max_bytes, 4096, std::size_t{1} << 44);
        if (k == "max_entries") return parse_int<std::size_t>(v, o.max_entries, 16, std::size_t{1} << 36);
        return false;
    });
    if (!ok) return StoreError::bad_url;
    return detail::make_memory_store(o);
}

Result<std::shared_ptr<Store>, StoreError> open_sqlite(std::string_view rest) {
    std::string_view query;
    split_query(rest, query);
    // sqlite:///abs/path.db: an absolute path only, so the file never depends on the cwd.
    if (rest.size() < 2 || rest.front() != '/' || rest.find('\0') != std::string_view::npos)
        return StoreError::bad_url;
    detail::SqliteOptions o;
    o.path = std::string(rest);
    bool ok = for_each_option(query, [&](std::string_view k, std::string_view v) {
        if (k == "busy_timeout_ms") return parse_int(v, o.busy_timeout_ms, 0, 600'000);
        return false;
    });
    if (!ok) return StoreError::bad_url;
    return detail::make_sqlite_store(o);
}

Result<std::shared_ptr<Store>, StoreError> open_redis(std::string_view rest) {
    std::string_view query;
    split_query(rest, query);
    detail::RedisOptions o;
    auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        auto colon = userinfo.find(':');
        if (colon == std::string_view::npos) return StoreError::bad_url;
        o.username = std::string(userinfo.substr(0, colon));
        o.password = std::string(userinfo.substr(colon + 1));
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
        auto close = authority.find(']');
        if (close == std::string_view::npos) return StoreError::bad_url;
        o.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return StoreError::bad_url;
            port = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        o.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (o.host.empty()) return StoreError::bad_url;
    for (char c : o.host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_'))
            return StoreError::bad_url;
    if (!port.empty() && !parse_int(port, o.port, 1, 65535)) return StoreError::bad_url;
    if (!path.empty() && !parse_int(path, o.db, 0, 1023)) return StoreError::bad_url;
    bool ok = for_each_option(query, [&](std::string_view k, std::string_view v) {
        if (k == "timeout_ms") return parse_int(v, o.timeout_ms, 1, 60'000);
        if (k == "pool") return parse_int(v, o.pool, 1, 256);
        if (k == "prefix") {
            if (v.size() > 128) return false;
            o.prefix = std::string(v);
            return true;
        }
        return false;
    });
    if (!ok) return StoreError::bad_url;
    return detail::make_redis_store(o);
}

}  // namespace

Result<std::shared_ptr<Store>, StoreError> open(std::string_view url) {
    if (url.size() > kMaxUrl) return StoreError::bad_url;
    constexpr std::string_view kMemory = "memory://", kSqlite = "sqlite://", kRedis = "redis://";
    if (url.starts_with(kMemory)) return open_memory(url.substr(kMemory.size()));
    if (url.starts_with(kSqlite)) return open_sqlite(url.substr(kSqlite.size()));
    if (url.starts_with(kRedis)) return open_redis(url.substr(kRedis.size()));
    return StoreError::bad_url;
}

}  // namespace bulwark::store
