// bulwark/ratelimit.hpp: rate limits written as Flask-Limiter writes them, checked against
// the shared store, with the response headers that go with them.
//
// Security model: the limiter trusts the key it is given, so the HTTP glue derives it from
// what a client cannot choose freely: the connection's address (X-Forwarded-For only from
// TRUSTED_PROXIES), an authenticated user, an API key's public id, a verified JWT subject.
// IPv6 clients are grouped by /64 (an attacker owns a whole /64, not one address). Key parts
// that are long or hold separators are hashed, so a client cannot collide with another
// client's bucket or grow the store key without bound; the store's own cap bounds the rest.
// When the store cannot be reached the limiter decides within the store's timeout, either
// with a local in-memory limiter (the default: still limits, per instance) or by refusing.
//
//     auto limits = bulwark::ratelimit::parse_or_throw("200 per day; 50 per hour");
//     bulwark::ratelimit::Limiter limiter{store};
//     auto d = limiter.check("login", bulwark::ratelimit::address_key(client_ip), limits);
//     for (auto& [name, value] : bulwark::ratelimit::headers(d)) response.set(name, value);
//     if (!d.allowed) return 429;
#pragma once

#include <bulwark/result.hpp>
#include <bulwark/store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::ratelimit {

// Unit of a limit's window. Like Flask-Limiter (the `limits` package): a month is 30 days
// and a year 12 such months (360 days).
enum class Unit { second, minute, hour, day, month, year };

// Limit: `amount` hits per `multiples` units, e.g. {10, 5, minute} for "10 per 5 minutes".
struct Limit {
    std::int64_t amount = 0;
    std::int64_t multiples = 1;
    Unit unit = Unit::minute;

    std::chrono::milliseconds period() const noexcept;
    // text renders it back, e.g. "10 per 5 minutes" (for logs and errors).
    std::string text() const;
    bool operator==(const Limit&) const = default;
};

// ParseError: why a limit string was refused.
enum class ParseError {
    empty,          // nothing, or an empty item between separators
    too_long,       // over kMaxLimitText bytes or kMaxLimits items
    bad_amount,     // the count is missing, zero, negative or too large
    bad_separator,  // neither "per" nor "/" between count and unit
    bad_unit,       // not second/minute/hour/day/month/year (singular or plural)
    bad_multiple,   // "per 0 minutes", or a window over 30 years
    trailing,       // text after the unit
};
inline constexpr std::size_t kMaxLimitText = 1024;
inline constexpr std::size_t kMaxLimits = 16;

// ParseFailure: the error and a message for the operator, naming the offending item.
struct ParseFailure {
    ParseError code;
    std::string message;
};

// parse reads "5 per minute", "100/hour", "200 per day; 50 per hour", "10 per 5 minutes"
// (items separated by ';', ',' or '|'; case and spacing free). Pure, no allocation limits
// beyond kMaxLimitText.
Result<std::vector<Limit>, ParseFailure> parse(std::string_view text);
// parse_or_throw is for configuration at start: std::invalid_argument with the message,
// so the app refuses to start on a bad string.
std::vector<Limit> parse_or_throw(std::string_view text);

// Strategy: how hits are counted; docs/ratelimit.md compares them.
enum class Strategy { fixed_window, sliding_window, gcra };

// OnStoreFailure: what happens when the store (Redis) cannot answer within its timeout.
enum class OnStoreFailure {
    local_fallback,  // fail open to a per-instance in-memory limiter (still limits)
    fail_closed,     // refuse the request (429 with Retry-After)
};

// Config: the secure defaults need no changes.
struct Config {
    Strategy strategy = Strategy::fixed_window;
    OnStoreFailure on_store_failure = OnStoreFailure::local_fallback;
    std::string key_prefix = "rl|";
    std::string fallback_url = "memory://?max_bytes=16777216";  // 16 MiB for the local fallback
    std::chrono::seconds fail_closed_retry_after{5};
    // now_ms is the wall clock (ms since the epoch); tests replace it.
    std::function<std::int64_t()> now_ms;
};

// Decision: the answer for one request, for the 429, the headers and the security log.
struct Decision {
    bool allowed = true;
    std::int64_t limit = 0;              // the amount of the limit reported (the tightest one)
    std::int64_t remaining = 0;
    std::chrono::seconds reset{0};       // until that limit's window resets
    std::int64_t reset_at = 0;           // the same as a Unix time in seconds
    std::chrono::seconds window{0};      // that limit's period, for RateLimit-Policy
    std::chrono::seconds retry_after{0}; // when refused, at least 1
    // first_exceeded_in_window: log `excess_rate_limit_exceeded` only when this is set, so a
    // flood is one log line per window and key.
    bool first_exceeded_in_window = false;
    bool degraded = false;               // the store failed; the fallback or the refusal decided
    store::StoreError store_error = store::StoreError::internal;  // meaningful when degraded
};

// Limiter checks keys against limits. Thread-safe; holds the store by shared_ptr.
class Limiter {
public:
    explicit Limiter(std::shared_ptr<store::Store> store, Config config = {});

    // check counts one hit (or `cost`) of `key` in `scope` against every limit, all or
    // nothing: a refused request is not counted. `scope` names the route or the group of
    // routes sharing the limit. No limits: allowed. One store round trip.
    Decision check(std::string_view scope, std::string_view key, std::span<const Limit> limits,
                   std::int64_t cost = 1);

    const Config& config() const noexcept { return config_; }

private:
    store::Store& fallback();

    std::shared_ptr<store::Store> store_;
    Config config_;
    std::once_flag fallback_once_;
    std::shared_ptr<store::Store> fallback_;
};

// Key helpers: the second argument of check(). They only prefix (and, for long or odd
// values, hash) what the glue passes in.
// address_key groups IPv6 by `ipv6_prefix` bits (64 by default; 128 for single addresses);
// IPv4 and IPv4-mapped IPv6 are kept whole. An unparsable address gives "ip:invalid", one
// shared bucket.
std::string address_key(std::string_view client_address, int ipv6_prefix = 64);
std::string user_key(std::string_view user_id);
// api_key_key takes the key's public id, never the secret.
std::string api_key_key(std::string_view key_id);
std::string jwt_key(std::string_view subject);
std::string custom_key(std::string_view name, std::string_view value);

// HeaderOptions: which fields headers() writes.
struct HeaderOptions {
    bool x_ratelimit = true;              // X-RateLimit-Limit/Remaining/Reset (Flask-Limiter)
    bool x_reset_as_unix_time = true;     // Flask-Limiter sends a Unix time; false: seconds left
    bool ietf = false;                    // RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers)
    std::string_view policy_name = "default";
};

// headers lists the response fields for a decision; Retry-After whenever it was refused.
std::vector<std::pair<std::string, std::string>> headers(const Decision& decision,
                                                         const HeaderOptions& options = {});

}  // namespace bulwark::ratelimit
