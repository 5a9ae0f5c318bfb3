// Remember-me tokens: selector.validator cookies, validator stored as an HMAC only,
// rotated on each use, theft detected on reuse.
#include <bulwark/auth.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace bulwark::auth {
namespace json = boost::json;

namespace {
constexpr std::size_t kSelectorBytes = 12;   // 16 characters: the public lookup key
constexpr std::size_t kValidatorBytes = 32;  // 43 characters: the secret
constexpr std::size_t kSelectorChars = 16;
constexpr std::size_t kValidatorChars = 43;
constexpr std::size_t kMaxRecord = 4096;

std::int64_t to_ms(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool canonical_b64url(std::string_view s, std::size_t chars) {
    if (s.size() != chars) return false;
    for (char c : s) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return crypto::base64url_decode(s).has_value();
}

struct Token {
    std::string_view selector;
    std::string_view validator;
};

std::optional<Token> parse_cookie(std::string_view v) {
    if (v.size() != kSelectorChars + 1 + kValidatorChars || v[kSelectorChars] != '.') return std::nullopt;
    Token t{v.substr(0, kSelectorChars), v.substr(kSelectorChars + 1)};
    if (!canonical_b64url(t.selector, kSelectorChars) || !canonical_b64url(t.validator, kValidatorChars))
        return std::nullopt;
    return t;
}

struct Record {
    std::string user;
    std::string mac;
    std::string previous_mac;
    std::int64_t expires_ms = 0;
    std::int64_t rotated_ms = 0;
};

std::string encode(const Record& r) {
    return json::serialize(json::object{{"u", r.user}, {"h", r.mac}, {"p", r.previous_mac},
                                        {"x", r.expires_ms}, {"r", r.rotated_ms}});
}

std::optional<Record> decode(std::string_view text) {
    if (text.size() > kMaxRecord) return std::nullopt;
    json::error_code ec;
    json::value v;
    try {
        v = json::parse(text, ec);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.as_object();
    auto str = [&](std::string_view k, std::string& out) {
        const json::value* x = o.if_contains(k);
        if (!x || !x->is_string()) return false;
        out.assign(x->as_string());
        return true;
    };
    auto num = [&](std::string_view k, std::int64_t& out) {
        const json::value* x = o.if_contains(k);
        if (!x || !x->is_int64()) return false;
        out = x->as_int64();
        return true;
    };
    Record r;
    if (!str("u", r.user) || !str("h", r.mac) || !str("p", r.previous_mac) || !num("x", r.expires_ms) ||
        !num("r", r.rotated_ms) || r.user.empty() || r.mac.size() != 64)
        return std::nullopt;
    return r;
}
}  // namespace

std::string_view remember_error_name(RememberError e) noexcept {
    switch (e) {
        case RememberError::malformed: return "malformed";
        case RememberError::unknown: return "unknown";
        case RememberError::expired: return "expired";
        case RememberError::superseded: return "superseded";
        case RememberError::theft_detected: return "theft_detected";
        case RememberError::store_unavailable: return "store_unavailable";
    }
    return "unknown_error";
}

struct RememberMe::Impl {
    std::shared_ptr<store::Store> store;
    crypto::SecretBytes key;
    RememberOptions options;

    TimePoint now() const { return options.now ? options.now() : Clock::now(); }
    std::string record_key(std::string_view selector) const { return options.key_prefix + "s|" + std::string(selector); }
    std::string index_key(std::string_view user) const {
        std::string m = "user";
        m.push_back('\0');
        m.append(user);
        return options.key_prefix + "u|" + crypto::hex_encode(crypto::hmac_sha256(key.reveal(), crypto::as_bytes(m)));
    }
    std::string mac(std::string_view selector, std::string_view user, std::string_view validator) const {
        std::string m(selector);
        m.push_back('\0');
        m.append(user);
        m.push_back('\0');
        m.append(validator);
        return crypto::hex_encode(crypto::hmac_sha256(key.reveal(), crypto::as_bytes(m)));
    }
    store::Ttl lifetime() const { return std::chrono::duration_cast<store::Ttl>(options.lifetime); }

    std::vector<std::string> read_index(std::string_view user) const {
        std::vector<std::string> out;
        auto got = store->get(index_key(user));
        if (!got || !*got || (*got)->size() > 64 * 1024) return out;
        json::error_code ec;
        json::value v;
        try {
            v = json::parse(**got, ec);
        } catch (const std::exception&) {
            return out;
        }
        if (ec || !v.is_array()) return out;
        for (const json::value& s : v.as_array())
            if (s.is_string() && s.as_string().size() == kSelectorChars) out.emplace_back(s.as_string());
        return out;
    }
    Result<void, store::StoreError> write_index(std::string_view user, const std::vector<std::string>& selectors) const {
        if (selectors.empty()) {
            auto erased = store->erase(index_key(user));
            if (!erased) return erased.error();
            return {};
        }
        json::array a;
        for (const auto& s : selectors) a.emplace_back(s);
        return store->set(index_key(user), json::serialize(a), lifetime());
    }
    session::CookieSpec cookie(std::string value, std::chrono::seconds max_age) const {
        return {session::cookie_name(options.production, options.cookie_base_name), std::move(value), max_age,
                options.production};
    }
};

RememberMe::RememberMe(std::shared_ptr<store::Store> store, const crypto::KeyRing& keys, RememberOptions options) {
    if (!store) throw std::invalid_argument("auth::RememberMe: no store");
    if (options.lifetime <= std::chrono::seconds{0} || options.cookie_base_name.empty() || options.key_prefix.empty())
        throw std::invalid_argument("auth::RememberMe: bad lifetime, cookie name or key prefix");
    auto impl = std::make_shared<Impl>();
    impl->store = std::move(store);
    impl->key = keys.subkey(crypto::Purpose::remember_me);
    impl->options = std::move(options);
    impl_ = std::move(impl);
}

std::string RememberMe::cookie_name() const {
    return session::cookie_name(impl_->options.production, impl_->options.cookie_base_name);
}

session::CookieSpec RememberMe::deleting_cookie() const { return impl_->cookie("", std::chrono::seconds{0}); }

Result<session::CookieSpec, store::StoreError> RememberMe::issue(std::string_view user_id) const {
    const Impl& m = *impl_;
    const std::string selector = crypto::random_token(kSelectorBytes);
    const std::string validator = crypto::random_token(kValidatorBytes);
    const TimePoint now = m.now();
    Record r{std::string(user_id), m.mac(selector, user_id, validator), "", to_ms(now + m.options.lifetime), to_ms(now)};
    auto stored = m.store->set(m.record_key(selector), encode(r), m.lifetime());
    if (!stored) return stored.error();
    std::vector<std::string> selectors = m.read_index(user_id);
    selectors.push_back(selector);
    while (selectors.size() > std::max<std::size_t>(1, m.options.max_tokens_per_user)) {
        (void)m.store->erase(m.record_key(selectors.front()));
        selectors.erase(selectors.begin());
    }
    auto indexed = m.write_index(user_id, selectors);
    if (!indexed) return indexed.error();
    return m.cookie(selector + "." + validator, m.options.lifetime);
}

Result<RememberLogin, RememberFailure> RememberMe::consume(std::string_view untrusted_cookie_value) const {
    const Impl& m = *impl_;
    auto token = parse_cookie(untrusted_cookie_value);
    if (!token) return RememberFailure{RememberError::malformed, {}};
    // take: two requests racing with one token cannot both rotate it.
    auto taken = m.store->take(m.record_key(token->selector));
    if (!taken) return RememberFailure{RememberError::store_unavailable, {}};
    if (!*taken) return RememberFailure{RememberError::unknown, {}};
    auto r = decode(**taken);
    if (!r) return RememberFailure{RememberError::unknown, {}};
    const TimePoint now = m.now();
    if (to_ms(now) >= r->expires_ms) return RememberFailure{RememberError::expired, {}};
    const std::string presented = m.mac(token->selector, r->user, token->validator);
    if (crypto::equal(presented, r->mac)) {
        const std::string validator = crypto::random_token(kValidatorBytes);
        Record next{r->user, m.mac(token->selector, r->user, validator), r->mac,
                    to_ms(now + m.options.lifetime), to_ms(now)};
        if (!m.store->set(m.record_key(token->selector), encode(next), m.lifetime()))
            return RememberFailure{RememberError::store_unavailable, {}};
        return RememberLogin{r->user, m.cookie(std::string(token->selector) + "." + validator, m.options.lifetime)};
    }
    const bool recent = to_ms(now) - r->rotated_ms <=
                        std::chrono::duration_cast<std::chrono::milliseconds>(m.options.reuse_grace).count();
    if (!r->previous_mac.empty() && crypto::equal(presented, r->previous_mac) && recent) {
        // A second tab sent the cookie the first tab's response just replaced.
        (void)m.store->set(m.record_key(token->selector), **taken, m.lifetime());
        return RememberFailure{RememberError::superseded, {}};
    }
    // The selector is known but the validator is not the current one: a copy of the cookie
    // was used by someone else first. End every remember token of this user.
    (void)revoke_all(r->user);
    return RememberFailure{RememberError::theft_detected, r->user};
}

Result<void, store::StoreError> RememberMe::revoke(std::string_view untrusted_cookie_value) const {
    const Impl& m = *impl_;
    auto token = parse_cookie(untrusted_cookie_value);
    if (!token) return {};
    auto taken = m.store->take(m.record_key(token->selector));
    if (!taken) return taken.error();
    if (!*taken) return {};
    auto r = decode(**taken);
    if (!r || !crypto::equal(m.mac(token->selector, r->user, token->validator), r->mac)) {
        // Not the holder of this token: put it back rather than let anyone log others out.
        (void)m.store->set(m.record_key(token->selector), **taken, m.lifetime());
        return {};
    }
    std::vector<std::string> selectors = m.read_index(r->user);
    std::erase(selectors, std::string(token->selector));
    return m.write_index(r->user, selectors);
}

Result<std::size_t, store::StoreError> RememberMe::revoke_all(std::string_view user_id) const {
    const Impl& m = *impl_;
    std::size_t ended = 0;
    for (const std::string& selector : m.read_index(user_id)) {
        auto erased = m.store->erase(m.record_key(selector));
        if (!erased) return erased.error();
        if (*erased) ++ended;
    }
    auto cleared = m.write_index(user_id, {});
    if (!cleared) return cleared.error();
    return ended;
}

}  // namespace bulwark::auth
