// Manager: load and save of server-side sessions.
#include "manager_impl.hpp"

#include <algorithm>

namespace bulwark::session {

namespace {
constexpr std::size_t kHandleBytes = 12;

std::chrono::seconds clamp_seconds(std::chrono::milliseconds ms) {
    return std::max(std::chrono::seconds{0}, std::chrono::duration_cast<std::chrono::seconds>(ms));
}
}  // namespace

Manager::Manager(std::shared_ptr<store::Store> store, const crypto::KeyRing& keys, Options options)
    : options_(std::move(options)) {
    if (!store) throw std::invalid_argument("session::Manager: no store");
    if (options_.idle_timeout <= std::chrono::seconds{0} ||
        options_.absolute_timeout < options_.idle_timeout ||
        options_.refresh_interval < std::chrono::seconds{0} ||
        options_.refresh_interval >= options_.idle_timeout)
        throw std::invalid_argument(
            "session::Manager: need 0 <= refresh_interval < idle_timeout <= absolute_timeout");
    if (options_.cookie_base_name.empty() || options_.key_prefix.empty())
        throw std::invalid_argument("session::Manager: empty cookie name or key prefix");
    auto impl = std::make_shared<Impl>();
    impl->store = std::move(store);
    impl->key = keys.subkey(crypto::Purpose::session);
    impl->options = options_;
    impl_ = std::move(impl);
}

std::string Manager::cookie_name() const {
    return session::cookie_name(options_.production, options_.cookie_base_name);
}

store::Ttl Manager::Impl::ttl_for(const detail::Record& r) const {
    using std::chrono::milliseconds;
    const std::int64_t idle_end = r.last_seen_ms + milliseconds(options.idle_timeout).count();
    const std::int64_t absolute_end = r.created_ms + milliseconds(options.absolute_timeout).count();
    const std::int64_t left = std::min(idle_end, absolute_end) - detail::to_ms(now());
    return store::Ttl{std::max<std::int64_t>(left, 1)};
}

bool Manager::Impl::expired(const detail::Record& r, TimePoint now) const {
    const std::int64_t n = detail::to_ms(now);
    using std::chrono::milliseconds;
    return n - r.last_seen_ms >= milliseconds(options.idle_timeout).count() ||
           n - r.created_ms >= milliseconds(options.absolute_timeout).count();
}

Session Manager::load(std::string_view untrusted_cookie_value, std::string_view address,
                      std::string_view user_agent) const {
    const Impl& m = *impl_;
    Session s;
    s.address_ = detail::clip(address, detail::kMaxAddress);
    s.user_agent_ = detail::clip(user_agent, detail::kMaxUserAgent);
    if (untrusted_cookie_value.empty()) return s;
    s.had_cookie_ = true;
    if (!valid_cookie_id(untrusted_cookie_value)) {
        s.state_ = LoadState::malformed;
        return s;
    }
    const std::string hash = m.record_hash(untrusted_cookie_value);
    auto got = m.store->get(m.record_key(hash));
    if (!got) {
        s.state_ = LoadState::store_error;
        return s;
    }
    if (!*got) {
        s.state_ = LoadState::unknown;
        return s;
    }
    auto r = detail::decode(**got, m.options.max_data_bytes);
    if (!r) {  // a damaged or foreign record: never trusted, removed
        (void)m.store->erase(m.record_key(hash));
        s.state_ = LoadState::unknown;
        return s;
    }
    const TimePoint now = m.now();
    if (m.expired(*r, now)) {
        (void)m.store->erase(m.record_key(hash));
        if (!r->user.empty()) (void)m.index_remove(r->user, hash);
        s.state_ = LoadState::expired;
        return s;
    }
    const bool refresh_due = detail::to_ms(now) - r->last_seen_ms >=
                             std::chrono::milliseconds(m.options.refresh_interval).count();
    if (!r->user.empty() && refresh_due) {
        auto epoch = m.read_epoch(r->user);
        if (!epoch) {
            s.state_ = LoadState::store_error;
            return s;
        }
        if (r->epoch < *epoch) {
            (void)m.store->erase(m.record_key(hash));
            s.state_ = LoadState::revoked;
            return s;
        }
    }
    s.id_.assign(untrusted_cookie_value);
    s.handle_ = std::move(r->handle);
    s.user_id_ = r->user;
    s.stored_user_ = std::move(r->user);
    s.epoch_ = r->epoch;
    if (!r->address.empty()) s.address_ = std::move(r->address);
    if (!r->user_agent.empty()) s.user_agent_ = std::move(r->user_agent);
    s.created_ = detail::from_ms(r->created_ms);
    s.last_seen_ = detail::from_ms(r->last_seen_ms);
    s.data_ = std::move(r->data);
    s.state_ = LoadState::loaded;
    return s;
}

Result<std::optional<CookieSpec>, SaveError> Manager::save(Session& s) const {
    const Impl& m = *impl_;
    const TimePoint now = m.now();
    auto cookie = [&](std::string value, std::optional<std::chrono::seconds> max_age) {
        return CookieSpec{cookie_name(), std::move(value), max_age, options_.production};
    };
    auto deleting = [&]() { return cookie("", std::chrono::seconds{0}); };
    auto live_cookie = [&]() {
        std::optional<std::chrono::seconds> max_age;
        if (options_.persistent_cookie)
            max_age = clamp_seconds(std::chrono::duration_cast<std::chrono::milliseconds>(
                options_.absolute_timeout - (now - s.created_)));
        return cookie(s.id_, max_age);
    };
    auto finish = [&]() {
        s.modified_ = s.rotate_ = s.destroy_ = false;
        s.destroyed_id_.clear();
        s.destroyed_user_.clear();
        s.stored_user_ = s.user_id_;
    };

    if (s.destroy_ && !s.destroyed_id_.empty()) {
        const std::string hash = m.record_hash(s.destroyed_id_);
        if (!m.store->erase(m.record_key(hash))) return SaveError::store_unavailable;
        if (!s.destroyed_user_.empty()) (void)m.index_remove(s.destroyed_user_, hash);
        s.had_cookie_ = true;
    }

    const bool empty = s.data_.empty() && s.user_id_.empty();
    // A session the store could not read may still be there (Redis hung or restarting with
    // its data): keep the browser's cookie rather than deleting it, so the user is logged in
    // again once the store answers. It granted nothing meanwhile (load left it empty).
    if (s.state_ == LoadState::store_error && empty && !s.destroy_) {
        finish();
        return std::optional<CookieSpec>();
    }
    // Unchanged data was size-checked when it was loaded; serializing it again on every
    // read-only request would be the largest cost of a logged-in GET.
    if ((s.modified_ || s.id_.empty()) && detail::data_size(s.data_) > m.options.max_data_bytes)
        return SaveError::too_large;

    const bool user_changed = s.user_id_ != s.stored_user_;
    const bool new_id = s.id_.empty() || s.rotate_ || user_changed;
    if (new_id) {
        const std::string old_id = std::move(s.id_);
        s.id_.clear();
        if (!old_id.empty()) {
            const std::string old_hash = m.record_hash(old_id);
            if (!m.store->erase(m.record_key(old_hash))) return SaveError::store_unavailable;
            if (!s.stored_user_.empty()) (void)m.index_remove(s.stored_user_, old_hash);
        }
        if (empty) {  // nothing to keep: no record, and the browser forgets its cookie
            const bool had = s.had_cookie_ || !old_id.empty();
            finish();
            s.handle_.clear();
            if (had) return std::optional<CookieSpec>(deleting());
            return std::optional<CookieSpec>();
        }
        if (old_id.empty()) {  // a new session, not a rotated one
            s.created_ = now;
            s.handle_ = crypto::random_token(kHandleBytes);
        }
        if (user_changed && !s.user_id_.empty()) {
            auto epoch = m.read_epoch(s.user_id_);
            if (!epoch) return SaveError::store_unavailable;
            s.epoch_ = *epoch;
        }
        s.id_ = crypto::random_token(32);
    } else if (empty) {  // emptied: drop the record like Flask drops an empty session cookie
        const std::string hash = m.record_hash(s.id_);
        if (!m.store->erase(m.record_key(hash))) return SaveError::store_unavailable;
        s.id_.clear();
        s.handle_.clear();
        finish();
        return std::optional<CookieSpec>(deleting());
    } else {
        const bool refresh_due = now - s.last_seen_ >= m.options.refresh_interval;
        if (!s.modified_ && !refresh_due) {
            finish();
            return std::optional<CookieSpec>();
        }
    }

    detail::Record r;
    r.created_ms = detail::to_ms(s.created_);
    r.last_seen_ms = std::max(detail::to_ms(now), r.created_ms);
    r.handle = s.handle_;
    r.user = s.user_id_;
    r.epoch = s.epoch_;
    r.address = s.address_;
    r.user_agent = s.user_agent_;
    r.data = s.data_;
    const std::string hash = m.record_hash(s.id_);
    if (!m.store->set(m.record_key(hash), detail::encode(r), m.ttl_for(r)))
        return SaveError::store_unavailable;
    if (new_id && !s.user_id_.empty() && !m.index_add(s.user_id_, {hash, s.handle_, r.created_ms}))
        return SaveError::store_unavailable;
    s.last_seen_ = detail::from_ms(r.last_seen_ms);
    const bool send_cookie = new_id || options_.persistent_cookie;
    s.state_ = LoadState::loaded;
    finish();
    if (send_cookie) return std::optional<CookieSpec>(live_cookie());
    return std::optional<CookieSpec>();
}

}  // namespace bulwark::session
