// jwt::Manager: access and refresh tokens in the Flask-JWT-Extended shape (type, fresh,
// csrf claims), the jti blocklist and refresh rotation with reuse detection.
#include <bulwark/jwt.hpp>

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kRandomIdBytes = 16;  // 128 bits for jti, family and csrf values
constexpr std::string_view kReserved[] = {"iss", "sub", "aud", "exp", "nbf", "iat",
                                          "jti", "type", "fresh", "fam", "csrf"};

std::string_view type_name(TokenType t) { return t == TokenType::access ? "access" : "refresh"; }

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

const json::string* string_claim(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    return v && v->is_string() ? &v->as_string() : nullptr;
}

}  // namespace

Manager::Manager(std::vector<Key> keys, Config config, std::shared_ptr<store::Store> store)
    : keys_(std::move(keys)), config_(std::move(config)), store_(std::move(store)), clock_(system_now) {
    if (!keys_.signing_key()) throw std::invalid_argument("jwt: no key can sign");
    if (config_.leeway < std::chrono::seconds(0) || config_.leeway > kMaxLeeway)
        throw std::invalid_argument("jwt: leeway must be between 0 and 30 seconds");
    if (config_.access_ttl <= std::chrono::seconds(0) || config_.refresh_ttl <= std::chrono::seconds(0))
        throw std::invalid_argument("jwt: token lifetimes must be positive");
    if (!store_) throw std::invalid_argument("jwt: a store is required for revocation");
}

void Manager::set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds) {
    clock_ = std::move(now_unix_seconds);
}

std::int64_t Manager::now() const { return clock_(); }

Result<std::string, JwtError> Manager::issue(std::string_view identity, TokenType type,
                                             Freshness fresh, std::string_view family,
                                             const json::object& extra) const {
    json::object claims;
    for (const auto& [name, value] : extra) {
        for (std::string_view reserved : kReserved)
            if (name == reserved) return JwtError::reserved_claim;
        claims[name] = value;
    }
    const std::int64_t t = now();
    const auto ttl = type == TokenType::access ? config_.access_ttl : config_.refresh_ttl;
    claims["iat"] = t;
    claims["nbf"] = t;
    claims["exp"] = t + ttl.count();
    claims["jti"] = crypto::random_token(kRandomIdBytes);
    claims["type"] = type_name(type);
    claims["sub"] = identity;
    claims["fresh"] = fresh == Freshness::fresh;
    if (!family.empty()) claims["fam"] = family;
    claims["csrf"] = crypto::random_token(kRandomIdBytes);
    if (config_.issuer) claims["iss"] = *config_.issuer;
    if (config_.audience) claims["aud"] = *config_.audience;
    return sign_compact(json::serialize(claims), *keys_.signing_key());
}

Result<std::string, JwtError> Manager::issue_access(std::string_view identity, Freshness fresh,
                                                    const json::object& extra) const {
    return issue(identity, TokenType::access, fresh, {}, extra);
}

Result<std::string, JwtError> Manager::issue_refresh(std::string_view identity) const {
    return issue(identity, TokenType::refresh, Freshness::not_fresh,
                 crypto::random_token(kRandomIdBytes), {});
}

Result<TokenPair, JwtError> Manager::issue_pair(std::string_view identity,
                                                const json::object& extra) const {
    std::string family = crypto::random_token(kRandomIdBytes);
    auto access = issue(identity, TokenType::access, Freshness::fresh, family, extra);
    if (!access) return access.error();
    auto refresh = issue(identity, TokenType::refresh, Freshness::not_fresh, family, {});
    if (!refresh) return refresh.error();
    return TokenPair{std::move(*access), std::move(*refresh)};
}

Result<Claims, JwtError> Manager::verify(std::string_view token, TokenType expected) const {
    auto jws = verify_compact(token, keys_);
    if (!jws) return jws.error();
    auto object = parse_json_object(jws->payload);
    if (!object) return object.error();
    Validation validation{now(), config_.leeway, config_.issuer, config_.audience};
    if (auto ok = validate_claims(*object, validation); !ok) return ok.error();

    const json::object& o = *object;
    const json::string* sub = string_claim(o, "sub");
    const json::string* jti = string_claim(o, "jti");
    const json::string* type = string_claim(o, "type");
    if (!sub || !jti || !type || jti->empty()) return JwtError::missing_claim;
    Claims c;
    if (*type == "access") c.type = TokenType::access;
    else if (*type == "refresh") c.type = TokenType::refresh;
    else return JwtError::bad_claim;
    if (c.type != expected) return JwtError::wrong_token_type;
    if (const json::value* fresh = o.if_contains("fresh")) {
        if (!fresh->is_bool()) return JwtError::bad_claim;
        c.fresh = fresh->get_bool() ? Freshness::fresh : Freshness::not_fresh;
    }
    for (auto [name, field] : {std::pair{"fam", &c.family}, std::pair{"csrf", &c.csrf}}) {
        if (const json::value* v = o.if_contains(name)) {
            if (!v->is_string()) return JwtError::bad_claim;
            field->assign(v->as_string().data(), v->as_string().size());
        }
    }
    c.subject.assign(sub->data(), sub->size());
    c.jti.assign(jti->data(), jti->size());
    c.expires_at = o.at("exp").to_number<std::int64_t>();
    if (const json::value* v = o.if_contains("iat")) c.issued_at = v->to_number<std::int64_t>();
    if (const json::value* v = o.if_contains("nbf")) c.not_before = v->to_number<std::int64_t>();
    c.all = std::move(*object);
    if (auto ok = check_revocation(c); !ok) return ok.error();
    return c;
}

Result<Claims, JwtError> Manager::verify_fresh(std::string_view token) const {
    auto c = verify(token, TokenType::access);
    if (c && c->fresh != Freshness::fresh) return JwtError::not_fresh;
    return c;
}

Result<void, JwtError> Manager::check_revocation(const Claims& c) const {
    auto revoked = store_->get(config_.store_prefix + "revoked:" + c.jti);
    if (!revoked) return JwtError::store_unavailable;
    if (*revoked) return JwtError::revoked;
    if (!c.family.empty()) {
        auto family = store_->get(config_.store_prefix + "family:" + c.family);
        if (!family) return JwtError::store_unavailable;
        if (*family) return JwtError::revoked;
    }
    return {};
}

Result<void, JwtError> Manager::revoke(const Claims& c) const {
    // Kept exactly as long as the token could still be accepted; after that exp refuses it.
    std::int64_t left = c.expires_at + config_.leeway.count() - now();
    if (left <= 0) return {};
    auto r = store_->set(config_.store_prefix + "revoked:" + c.jti, "1", std::chrono::seconds(left));
    if (!r) return JwtError::store_unavailable;
    return {};
}

Result<void, JwtError> Manager::revoke_family(std::string_view family) const {
    if (family.empty()) return {};
    // Any token of the family was issued by now, so none outlives refresh_ttl from now.
    auto r = store_->set(config_.store_prefix + "family:" + std::string(family), "1",
                         config_.refresh_ttl + config_.leeway);
    if (!r) return JwtError::store_unavailable;
    return {};
}

Result<TokenPair, JwtError> Manager::refresh(std::string_view token, const json::object& extra) const {
    auto c = verify(token, TokenType::refresh);
    if (!c) return c.error();
    std::int64_t left = std::max<std::int64_t>(1, c->expires_at + config_.leeway.count() - now());
    auto first_use = store_->set_if_absent(config_.store_prefix + "used:" + c->jti, "1",
                                           std::chrono::seconds(left));
    if (!first_use) return JwtError::store_unavailable;
    if (!*first_use) {
        // Reuse: the legitimate client and a thief both hold this token. Revoke every token
        // of the family so that whoever holds the newest pair has to log in again.
        if (c->family.empty()) (void)revoke(*c);
        else if (auto r = revoke_family(c->family); !r) return r.error();
        return JwtError::refresh_reused;
    }
    std::string family = c->family.empty() ? crypto::random_token(kRandomIdBytes) : c->family;
    auto access = issue(c->subject, TokenType::access, Freshness::not_fresh, family, extra);
    if (!access) return access.error();
    auto refresh = issue(c->subject, TokenType::refresh, Freshness::not_fresh, family, {});
    if (!refresh) return refresh.error();
    return TokenPair{std::move(*access), std::move(*refresh)};
}

std::optional<std::string_view> bearer_from_authorization_header(std::string_view value) noexcept {
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size() || value.size() > kScheme.size() + kMaxTokenSize)
        return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        char ch = value[i];
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
        if (ch != kScheme[i]) return std::nullopt;
    }
    std::string_view token = value.substr(kScheme.size());
    // token68 (RFC 7235 §2.1): visible characters of this set, '=' only at the end.
    bool padding = false;
    for (char ch : token) {
        bool body = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                    ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '+' || ch == '/';
        if (ch == '=') padding = true;
        else if (!body || padding) return std::nullopt;
    }
    return token;
}

Result<void, JwtError> check_csrf(const Claims& claims, std::string_view header_value) {
    if (claims.csrf.empty() || header_value.empty()) return JwtError::csrf_mismatch;
    if (!crypto::equal(claims.csrf, header_value)) return JwtError::csrf_mismatch;
    return {};
}

}  // namespace bulwark::jwt
