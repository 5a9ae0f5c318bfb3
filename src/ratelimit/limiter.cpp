// limiter.cpp: Limiter::check. One store call per check (store::Store::rate_hit counts every
// limit of the route at once, all or nothing); the store's answer is folded into the one
// Decision the glue needs. A store failure is decided here, by policy, never thrown.
#include <bulwark/ratelimit.hpp>

#include "internal.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace bulwark::ratelimit {
namespace {

std::int64_t system_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

store::RateAlgorithm algorithm_of(Strategy s) {
    switch (s) {
        case Strategy::sliding_window: return store::RateAlgorithm::sliding_window;
        case Strategy::gcra: return store::RateAlgorithm::gcra;
        case Strategy::fixed_window: break;
    }
    return store::RateAlgorithm::fixed_window;
}

char strategy_tag(Strategy s) {
    switch (s) {
        case Strategy::sliding_window: return 's';
        case Strategy::gcra: return 'g';
        case Strategy::fixed_window: break;
    }
    return 'f';
}

std::chrono::seconds ceil_seconds(store::Ttl t) {
    return std::chrono::seconds{(std::max<std::int64_t>(0, t.count()) + 999) / 1000};
}

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
}

}  // namespace

Limiter::Limiter(std::shared_ptr<store::Store> store, Config config)
    : store_(std::move(store)), config_(std::move(config)) {
    if (!config_.now_ms) config_.now_ms = system_now_ms;
}

store::Store& Limiter::fallback() {
    std::call_once(fallback_once_, [this] {
        auto s = store::open(config_.fallback_url);
        fallback_ = s ? *s : *store::open("memory://");
    });
    return *fallback_;
}

Decision Limiter::check(std::string_view scope, std::string_view key, std::span<const Limit> limits,
                        std::int64_t cost) {
    Decision d;
    if (limits.empty()) return d;
    const std::size_t n = std::min(limits.size(), kMaxLimits);
    const std::int64_t now = config_.now_ms();
    const char tag = strategy_tag(config_.strategy);

    // Build every store key in one buffer first (views into it are taken afterwards).
    thread_local std::string buffer;
    std::array<std::size_t, kMaxLimits + 1> ends{};
    buffer.clear();
    for (std::size_t i = 0; i < n; ++i) {
        buffer.append(config_.key_prefix);
        detail::append_safe_part(buffer, scope);
        buffer.push_back('|');
        detail::append_safe_part(buffer, key);
        buffer.push_back('|');
        append_int(buffer, limits[i].amount);
        buffer.push_back('/');
        append_int(buffer, limits[i].period().count());
        buffer.push_back(tag);
        ends[i] = buffer.size();
    }
    std::array<store::RateRequest, kMaxLimits> reqs;
    std::array<store::RateOutcome, kMaxLimits> outs;
    std::size_t begin = 0;
    for (std::size_t i = 0; i < n; ++i) {
        reqs[i] = store::RateRequest{std::string_view(buffer).substr(begin, ends[i] - begin),
                                     algorithm_of(config_.strategy), limits[i].amount, limits[i].period(),
                                     std::clamp<std::int64_t>(cost, 1, limits[i].amount), now};
        begin = ends[i];
    }
    std::span<const store::RateRequest> req_span(reqs.data(), n);
    std::span<store::RateOutcome> out_span(outs.data(), n);

    auto r = store_->rate_hit(req_span, out_span);
    if (!r) {
        d.degraded = true;
        d.store_error = r.error();
        if (config_.on_store_failure == OnStoreFailure::fail_closed) {
            d.allowed = false;
            d.limit = limits[0].amount;
            d.window = std::chrono::duration_cast<std::chrono::seconds>(limits[0].period());
            d.retry_after = config_.fail_closed_retry_after;
            d.reset = d.retry_after;
            d.reset_at = now / 1000 + d.reset.count();
            return d;
        }
        if (!fallback().rate_hit(req_span, out_span)) {  // a memory store fails only on bad input
            d.allowed = false;
            d.retry_after = config_.fail_closed_retry_after;
            return d;
        }
    }

    // Report the refusing limit that waits longest; when allowed, the tightest one.
    bool allowed = true;
    for (std::size_t i = 0; i < n; ++i) allowed = allowed && outs[i].allowed;
    std::size_t pick = n;
    for (std::size_t i = 0; i < n; ++i) {
        if (!allowed && outs[i].allowed) continue;
        if (pick == n || (allowed ? outs[i].remaining < outs[pick].remaining
                                  : outs[i].retry_after > outs[pick].retry_after))
            pick = i;
    }
    const auto& o = outs[pick];
    d.allowed = allowed;
    d.limit = limits[pick].amount;
    d.remaining = allowed ? o.remaining : 0;
    d.reset = ceil_seconds(o.reset);
    d.reset_at = (now + o.reset.count() + 999) / 1000;
    d.window = std::chrono::duration_cast<std::chrono::seconds>(limits[pick].period());
    if (!allowed) {
        d.retry_after = std::max(std::chrono::seconds{1}, ceil_seconds(o.retry_after));
        for (std::size_t i = 0; i < n; ++i)
            d.first_exceeded_in_window = d.first_exceeded_in_window || (!outs[i].allowed && outs[i].first_rejection);
    }
    return d;
}

}  // namespace bulwark::ratelimit
