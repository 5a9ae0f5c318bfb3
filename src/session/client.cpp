// ClientManager: signed client-side sessions (the data in the cookie, crypto::Signer).
#include <bulwark/session.hpp>

#include "record.hpp"

#include <algorithm>

namespace bulwark::session {

namespace {
// Marks a Session as "came from a valid cookie"; a client session has no server id.
constexpr std::string_view kSignedMarker = "signed";
}  // namespace

ClientManager::ClientManager(const crypto::KeyRing& keys, ClientOptions options)
    : signer_(std::make_shared<const crypto::Signer>(keys)), options_(std::move(options)) {
    if (options_.idle_timeout <= std::chrono::seconds{0} ||
        options_.absolute_timeout < options_.idle_timeout ||
        options_.refresh_interval < std::chrono::seconds{0} ||
        options_.refresh_interval >= options_.idle_timeout || options_.cookie_base_name.empty())
        throw std::invalid_argument("session::ClientManager: bad timeouts or cookie name");
    if (options_.max_cookie_bytes > crypto::Signer::kMaxSignedValue)
        throw std::invalid_argument("session::ClientManager: max_cookie_bytes over the signer's limit");
}

std::string ClientManager::cookie_name() const {
    return session::cookie_name(options_.production, options_.cookie_base_name);
}

Session ClientManager::load(std::string_view untrusted_cookie_value) const {
    Session s;
    if (untrusted_cookie_value.empty()) return s;
    s.had_cookie_ = true;
    if (untrusted_cookie_value.size() > options_.max_cookie_bytes) {
        s.state_ = LoadState::malformed;
        return s;
    }
    const TimePoint now = options_.now ? options_.now() : Clock::now();
    auto value = signer_->unsign_at(untrusted_cookie_value, crypto::Purpose::session,
                                    options_.idle_timeout, now);
    if (!value) {
        s.state_ = value.error() == crypto::UnsignError::expired ? LoadState::expired : LoadState::malformed;
        return s;
    }
    auto r = detail::decode(*value, options_.max_cookie_bytes);
    if (!r) {  // signed by us, so only an old format or a bug gets here
        s.state_ = LoadState::malformed;
        return s;
    }
    const std::int64_t n = detail::to_ms(now);
    using std::chrono::milliseconds;
    if (n - r->created_ms >= milliseconds(options_.absolute_timeout).count() ||
        n - r->last_seen_ms >= milliseconds(options_.idle_timeout).count()) {
        s.state_ = LoadState::expired;
        return s;
    }
    s.id_.assign(kSignedMarker);
    s.user_id_ = r->user;
    s.stored_user_ = std::move(r->user);
    s.created_ = detail::from_ms(r->created_ms);
    s.last_seen_ = detail::from_ms(r->last_seen_ms);
    s.data_ = std::move(r->data);
    s.state_ = LoadState::loaded;
    return s;
}

Result<std::optional<CookieSpec>, SaveError> ClientManager::save(Session& s) const {
    const TimePoint now = options_.now ? options_.now() : Clock::now();
    const std::string name = cookie_name();
    auto finish = [&]() {
        s.modified_ = s.rotate_ = s.destroy_ = false;
        s.destroyed_id_.clear();
        s.destroyed_user_.clear();
        s.stored_user_ = s.user_id_;
    };
    const bool empty = s.data_.empty() && s.user_id_.empty();
    if (empty) {
        const bool had = s.had_cookie_ || !s.id_.empty() || s.destroy_;
        s.id_.clear();
        finish();
        if (had) return std::optional<CookieSpec>(CookieSpec{name, "", std::chrono::seconds{0}, options_.production});
        return std::optional<CookieSpec>();
    }
    const bool fresh = s.id_.empty();
    const bool refresh_due = now - s.last_seen_ >= options_.refresh_interval;
    if (!fresh && !s.modified_ && !s.rotate_ && s.user_id_ == s.stored_user_ && !refresh_due) {
        finish();
        return std::optional<CookieSpec>();
    }
    if (fresh) s.created_ = now;
    detail::Record r;
    r.created_ms = detail::to_ms(s.created_);
    r.last_seen_ms = std::max(detail::to_ms(now), r.created_ms);
    r.user = s.user_id_;
    r.data = s.data_;
    std::string value = signer_->sign_at(detail::encode(r), crypto::Purpose::session, now);
    if (value.size() + name.size() + 1 > options_.max_cookie_bytes) return SaveError::too_large;
    s.id_.assign(kSignedMarker);
    s.last_seen_ = detail::from_ms(r.last_seen_ms);
    s.state_ = LoadState::loaded;
    finish();
    std::optional<std::chrono::seconds> max_age;
    if (options_.persistent_cookie)
        max_age = std::max(std::chrono::seconds{0}, std::chrono::duration_cast<std::chrono::seconds>(
                                                        options_.absolute_timeout - (now - s.created_)));
    return std::optional<CookieSpec>(CookieSpec{name, std::move(value), max_age, options_.production});
}

}  // namespace bulwark::session
