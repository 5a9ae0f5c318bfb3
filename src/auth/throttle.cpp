// LoginThrottle: per-address attempts (through the rate limiter) and per-account failures
// (a counter in the store with the window as its expiry).
#include <bulwark/auth.hpp>

#include <charconv>

namespace bulwark::auth {

namespace {
constexpr std::chrono::seconds kStoreDownRetry{5};
}

LoginThrottle::LoginThrottle(std::shared_ptr<store::Store> store, ratelimit::Limiter& limiter,
                             ThrottleOptions options)
    : store_(std::move(store)), limiter_(limiter), options_(std::move(options)) {
    if (!store_) throw std::invalid_argument("auth::LoginThrottle: no store");
    address_limits_ = ratelimit::parse_or_throw(options_.per_address);
    if (options_.account_max_failures < 1 || options_.account_window <= std::chrono::seconds{0})
        throw std::invalid_argument("auth::LoginThrottle: account limit and window must be positive");
}

std::string LoginThrottle::account_key(std::string_view username) const {
    // Folded and hashed: "Alice" and "alice" share a counter, and the key is bounded
    // whatever a client types as a username.
    std::string folded(username);
    for (char& c : folded)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const auto digest = crypto::sha256(crypto::as_bytes(folded));
    return options_.key_prefix + "a|" + crypto::hex_encode(crypto::ByteView(digest.data(), 16));
}

ThrottleDecision LoginThrottle::check(std::string_view address, std::string_view username) {
    ThrottleDecision d;
    const ratelimit::Decision by_address =
        limiter_.check("login", ratelimit::address_key(address), address_limits_);
    if (!by_address.allowed) {
        d.allowed = false;
        d.which = Throttled::address;
        d.retry_after = std::max(by_address.retry_after, std::chrono::seconds{1});
        d.first_exceeded = by_address.first_exceeded_in_window;
        d.degraded = by_address.degraded;
        return d;
    }
    const std::string key = account_key(username);
    auto count = store_->get(key);
    if (!count) {
        return {false, Throttled::account, kStoreDownRetry, false, true};
    }
    std::int64_t n = 0;
    if (*count) {
        const std::string& text = **count;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc{} || end != text.data() + text.size()) n = options_.account_max_failures;
    }
    if (n < options_.account_max_failures) return d;
    d.allowed = false;
    d.which = Throttled::account;
    auto left = store_->ttl(key);
    d.retry_after = options_.account_window;
    if (left && *left)
        d.retry_after = std::max(std::chrono::seconds{1},
                                 std::chrono::ceil<std::chrono::seconds>(**left));
    return d;
}

Result<FailureRecord, store::StoreError> LoginThrottle::record_failure(std::string_view /*address*/,
                                                                       std::string_view username) {
    // The address was counted by check(); failures are what lock an account.
    auto n = store_->increment(account_key(username), 1,
                               std::chrono::duration_cast<store::Ttl>(options_.account_window));
    if (!n) return n.error();
    FailureRecord r;
    r.count = *n;
    r.reached_max = *n == options_.account_max_failures;
    r.locked = *n >= options_.account_max_failures;
    return r;
}

Result<void, store::StoreError> LoginThrottle::record_success(std::string_view username) {
    auto erased = store_->erase(account_key(username));
    if (!erased) return erased.error();
    return {};
}

}  // namespace bulwark::auth
