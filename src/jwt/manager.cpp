// jwt::Manager: access and refresh tokens in the Flask-JWT-Extended shape (type, fresh,
// csrf claims), the jti blocklist and refresh rotation with reuse detection.
#include "compact.hpp"
#include "registered_claims.hpp"

#include <bulwark/jwt.hpp>

#include <boost/json/serialize.hpp>

#include <array>
#include <ctime>
#include <stdexcept>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kRandomIdBytes = 16;  // 128 bits for jti, family and csrf values
constexpr std::string_view kReserved[] = {"iss", "sub", "aud", "exp", "nbf", "iat",
                                          "jti", "type", "fresh", "fam", "csrf"};

// The claims Claims has fields for; any other name is a custom claim, which Claims::all holds.
constexpr Name kClaimNames[] = {Name::exp, Name::nbf, Name::iat,  Name::iss, Name::sub, Name::aud,
                                Name::jti, Name::type, Name::fresh, Name::fam, Name::csrf};

std::string_view type_name(TokenType t) { return t == TokenType::access ? "access" : "refresh"; }

std::int64_t system_now() {
#ifdef CLOCK_REALTIME_COARSE
    // Token dates are whole seconds, so the clock the kernel keeps per tick (a few ms behind
    // at most) serves, and reading it needs no timer read on each verify.
    timespec ts{};
    if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0) return ts.tv_sec;
#endif
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
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
    // Every request with a token comes through here, so nothing is allocated before the token
    // is known good, and the claim set becomes a DOM only when it has claims of the app's own.
    // The claims are written straight into the one Result that is returned (every return below
    // names `out`, so it is built in the caller's slot), not into a Claims moved twice after.
    Result<Claims, JwtError> out{Claims{}};
    auto fill = [&](Claims& c) -> Result<void, JwtError> {
        ObjectReader reader;
        DecodedToken decoded;
        if (auto ok = verify_token(token, keys_, reader, decoded); !ok) return ok.error();
        // Borrowed: `decoded` outlives every use of the reader's strings below.
        if (auto ok = reader.read(decoded.payload_json, ObjectReader::Strings::borrowed); !ok) return ok.error();
        Validation validation{now(), config_.leeway, config_.issuer, config_.audience};
        if (auto ok = check_registered(registered_claims(reader), validation); !ok) return ok.error();

        const Member& sub = reader[Name::sub];
        const Member& jti = reader[Name::jti];
        const Member& type = reader[Name::type];
        if (sub.kind != Kind::string || jti.kind != Kind::string || type.kind != Kind::string ||
            jti.text.empty())
            return JwtError::missing_claim;
        if (type.text == "access") c.type = TokenType::access;
        else if (type.text == "refresh") c.type = TokenType::refresh;
        else return JwtError::bad_claim;
        if (c.type != expected) return JwtError::wrong_token_type;
        if (const Member& fresh = reader[Name::fresh]; fresh.kind != Kind::absent) {
            if (fresh.kind != Kind::boolean) return JwtError::bad_claim;
            c.fresh = fresh.b ? Freshness::fresh : Freshness::not_fresh;
        }
        for (auto [name, field] : {std::pair{Name::fam, &c.family}, std::pair{Name::csrf, &c.csrf}}) {
            const Member& m = reader[name];
            if (m.kind == Kind::absent) continue;
            if (m.kind != Kind::string || m.text.size() > kMaxClaimId) return JwtError::bad_claim;
            *field = m.text;
        }
        if (jti.text.size() > kMaxClaimId) return JwtError::bad_claim;
        c.subject.assign(sub.text);
        c.jti = jti.text;
        // The dates passed check_registered: integers that fit an int64.
        auto date = [&](Name n) {
            const Member& m = reader[n];
            return m.kind == Kind::int64 ? m.i : m.kind == Kind::uint64 ? static_cast<std::int64_t>(m.u) : 0;
        };
        c.expires_at = date(Name::exp);
        c.issued_at = date(Name::iat);
        c.not_before = date(Name::nbf);
        std::size_t known = 0;
        for (Name n : kClaimNames) known += reader[n].kind != Kind::absent;
        if (reader.top_level_count() > known) {
            auto object = parse_json_object(decoded.payload_json);  // read above, so it parses
            if (!object) return object.error();
            c.all = std::move(*object);
        }
        return check_revocation(c);
    };
    if (auto ok = fill(*out); !ok) out = Result<Claims, JwtError>(ok.error());
    return out;
}

Result<Claims, JwtError> Manager::verify_fresh(std::string_view token) const {
    auto c = verify(token, TokenType::access);
    if (c && c->fresh != Freshness::fresh) return JwtError::not_fresh;
    return c;
}

namespace {

// StoreKey joins a store key on the stack (on every verify; a std::string only if it is long).
class StoreKey {
public:
    StoreKey(std::string_view prefix, std::string_view kind, std::string_view id) {
        const std::size_t n = prefix.size() + kind.size() + id.size();
        if (n > inline_.size()) {
            spilled_.reserve(n);
            spilled_.append(prefix).append(kind).append(id);
            view_ = spilled_;
            return;
        }
        char* p = std::copy(prefix.begin(), prefix.end(), inline_.data());
        p = std::copy(kind.begin(), kind.end(), p);
        std::copy(id.begin(), id.end(), p);
        view_ = std::string_view(inline_.data(), n);
    }
    std::string_view view() const noexcept { return view_; }

private:
    std::array<char, 128> inline_;
    std::string spilled_;
    std::string_view view_;
};

}  // namespace

Result<void, JwtError> Manager::check_revocation(const Claims& c) const {
    auto revoked = store_->get(StoreKey(config_.store_prefix, "revoked:", c.jti).view());
    if (!revoked) return JwtError::store_unavailable;
    if (*revoked) return JwtError::revoked;
    if (!c.family.empty()) {
        auto family = store_->get(StoreKey(config_.store_prefix, "family:", c.family).view());
        if (!family) return JwtError::store_unavailable;
        if (*family) return JwtError::revoked;
    }
    return {};
}

Result<void, JwtError> Manager::revoke(const Claims& c) const {
    // Kept exactly as long as the token could still be accepted; after that exp refuses it.
    std::int64_t left = c.expires_at + config_.leeway.count() - now();
    if (left <= 0) return {};
    auto r = store_->set(config_.store_prefix + "revoked:" + c.jti.str(), "1", std::chrono::seconds(left));
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
    auto first_use = store_->set_if_absent(config_.store_prefix + "used:" + c->jti.str(), "1",
                                           std::chrono::seconds(left));
    if (!first_use) return JwtError::store_unavailable;
    if (!*first_use) {
        // Reuse: the legitimate client and a thief both hold this token. Revoke every token
        // of the family so that whoever holds the newest pair has to log in again.
        if (c->family.empty()) (void)revoke(*c);
        else if (auto r = revoke_family(c->family); !r) return r.error();
        return JwtError::refresh_reused;
    }
    std::string family = c->family.empty() ? crypto::random_token(kRandomIdBytes) : c->family.str();
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
    if (!crypto::equal(claims.csrf.view(), header_value)) return JwtError::csrf_mismatch;
    return {};
}

}  // namespace bulwark::jwt
