// bulwark/jwt.hpp: JSON Web Tokens (JWS compact, RFC 7515/7519) with access and refresh
// tokens, revocation, refresh rotation with theft detection, and a JWKS document.
//
// Security model: every Key carries exactly ONE algorithm, fixed when it is configured, and
// a token is verified only with its key's algorithm: the token's `alg` must name it, so
// `none`, HS256-signed-with-the-RSA-public-key and every other algorithm confusion fail
// (RFC 8725 §2.1, §3.1). The decoder trusts nothing before the signature checks out and is
// strict even after: 8 KiB at most, strict base64url, strict JSON with duplicate names
// refused, integer NumericDates, `typ` JWT if present, any `crit` refused. `exp` is always
// required; the leeway is explicit and at most 30 s. Revoked `jti`s live in the Store as long
// as the token would have. Errors never carry the token; their messages serve as 401 reasons.
// Tokens are read from the Authorization header or a cookie, never from the query string
// (URLs end up in logs, Referer headers and browser history).
//
//     std::vector<jwt::Key> keys;
//     keys.push_back(jwt::Key::hmac(jwt::Algorithm::hs256, ring.subkey(crypto::Purpose::jwt), "k1"));
//     jwt::Manager tokens{std::move(keys), jwt::Config{}, store};
//     auto pair = tokens.issue_pair("alice");                     // login
//     auto claims = tokens.verify(bearer, jwt::TokenType::access); // every request
//     if (!claims) return reply_401(jwt::error_message(claims.error()));
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>
#include <bulwark/store.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::jwt {

// Algorithm: the JWS algorithms Bulwark signs and verifies (RFC 7518, RFC 8037). There is
// deliberately no value for `none`.
enum class Algorithm { hs256, hs384, hs512, rs256, ps256, es256, eddsa };
std::string_view algorithm_name(Algorithm a) noexcept;  // "HS256", ..., "EdDSA"
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;

// JwtError: why a token was refused. error_message() gives a fixed reason for the 401 body.
enum class JwtError {
    missing,             // no token where one was required
    too_large,           // over kMaxTokenSize
    malformed,           // not three base64url parts, bad base64url, or not a JSON object
    duplicate_name,      // a JSON object repeats a member name (parsers disagree on which wins)
    bad_claim,           // a registered claim has the wrong JSON type (e.g. a string exp)
    missing_claim,       // exp, or a claim this token type needs, is absent
    bad_header,          // typ is not JWT, or the header is otherwise unacceptable
    unsupported_crit,    // the header has `crit`: no extension is understood, so refuse
    algorithm_mismatch,  // alg is none, unknown, or not the one algorithm of the chosen key
    unknown_key,         // no key has this kid (or no kid with several keys)
    bad_signature,       // the signature does not verify
    expired,             // now > exp + leeway
    not_yet_valid,       // now < nbf - leeway
    issued_in_future,    // now < iat - leeway
    wrong_issuer,        // iss configured and different or absent
    wrong_audience,      // aud configured and not listed
    wrong_token_type,    // an access token where a refresh token is needed, or the reverse
    not_fresh,           // a fresh token is required
    revoked,             // the jti (or its refresh family) is revoked
    refresh_reused,      // a refresh token was used twice: its whole family is now revoked
    csrf_mismatch,       // cookie mode: X-CSRF-Token does not match the token's csrf claim
    reserved_claim,      // issue(): extra claims tried to set a registered claim
    store_unavailable,   // the revocation list could not be read; refused (fails closed)
    internal,            // the crypto library failed unexpectedly
};
std::string_view error_name(JwtError e) noexcept;     // "expired", for logs and tests
std::string_view error_message(JwtError e) noexcept;  // "Token has expired", for 401 bodies

inline constexpr std::size_t kMaxTokenSize = 8 * 1024;
inline constexpr std::chrono::seconds kMaxLeeway{30};

// Key: one signing or verification key bound to one algorithm, with an optional kid.
// Construction refuses weak or mismatched material by throwing std::invalid_argument
// (configuration time): HMAC secrets under 32 bytes, RSA under 2048 bits, an EC key that is
// not P-256 for ES256, a non-Ed25519 key for EdDSA. Immutable and thread-safe; copies share.
class Key {
public:
    static Key hmac(Algorithm alg, crypto::SecretBytes secret, std::string kid = {});
    // from_pem reads a PKCS#8 private key or an SPKI public key (verification only).
    static Key from_pem(Algorithm alg, std::string_view pem, std::string kid = {});
    // from_jwk reads a JWK (RFC 7517) object: oct (k), RSA (n, e; d.. for signing is not
    // supported, use PEM), EC P-256 (x, y, optional d), OKP Ed25519 (x, optional d).
    static Key from_jwk(Algorithm alg, std::string_view jwk_json, std::string kid = {});
    // generate makes a fresh key (development and tests): HMAC 64 bytes, RSA 2048, P-256, Ed25519.
    static Key generate(Algorithm alg, std::string kid = {});

    Algorithm algorithm() const noexcept;
    const std::string& kid() const noexcept;
    bool can_sign() const noexcept;
    bool is_symmetric() const noexcept;
    // public_pem / private_pem export the asymmetric key (empty for HMAC keys).
    std::string public_pem() const;
    std::string private_pem() const;
    // public_jwk is this key's JWK with use, alg and kid; nullopt for HMAC keys (never published).
    std::optional<boost::json::object> public_jwk() const;

    // sign_bytes / verify_bytes are the raw JWS signature over a signing input
    // (ES256 in the JOSE r||s form). For known-answer tests and the benchmarks.
    Result<crypto::Bytes, JwtError> sign_bytes(crypto::ByteView signing_input) const;
    bool verify_bytes(crypto::ByteView signing_input, crypto::ByteView signature) const;

    struct Impl;

private:
    explicit Key(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

// Jws: a compact JWS whose signature verified. payload is the raw decoded payload bytes.
struct Jws {
    boost::json::object header;
    std::string payload;
    std::string kid;
};

// KeySet: the keys tokens may be verified with; the first one that can sign signs.
class KeySet {
public:
    // Throws std::invalid_argument when empty or when two keys share a kid.
    explicit KeySet(std::vector<Key> keys);
    // find picks the key: by kid when the token names one, else the only key there is.
    const Key* find(std::optional<std::string_view> kid) const noexcept;
    const Key* signing_key() const noexcept;
    // jwks is the RFC 7517 JWK Set of the public keys (HMAC keys are never listed).
    std::string jwks() const;

private:
    std::vector<Key> keys_;
};

// sign_compact signs a JSON payload with `key`: header {"alg","typ":"JWT","kid"}.
Result<std::string, JwtError> sign_compact(std::string_view payload_json, const Key& key);
// verify_compact parses strictly and checks the signature; it does not look at claims.
Result<Jws, JwtError> verify_compact(std::string_view untrusted_token, const KeySet& keys);
// parse_json_object is the strict JSON reader used for headers and claims (exposed for fuzzing).
Result<boost::json::object, JwtError> parse_json_object(std::string_view untrusted_json);

enum class TokenType { access, refresh };
enum class Freshness { not_fresh, fresh };

// ClaimId: an identifier claim (jti, fam, csrf) held inline, so verify allocates nothing for
// it: Bulwark's are 22 characters, and a token naming one longer than kMaxClaimId is refused
// (bad_claim). Reads as a std::string_view; assigning more than kMaxClaimId throws
// std::length_error (a programming error, as with std::string).
inline constexpr std::size_t kMaxClaimId = 128;
class ClaimId {
public:
    ClaimId() = default;
    ClaimId(std::string_view s) { *this = s; }  // NOLINT: implicit, as std::string's
    ClaimId& operator=(std::string_view s) {
        if (s.size() > kMaxClaimId) throw std::length_error("jwt: claim id over kMaxClaimId");
        std::copy(s.begin(), s.end(), data_.data());
        size_ = static_cast<std::uint8_t>(s.size());
        return *this;
    }
    std::string_view view() const noexcept { return {data_.data(), size_}; }
    operator std::string_view() const noexcept { return view(); }  // NOLINT: reads as a string
    std::string str() const { return std::string(view()); }
    const char* data() const noexcept { return data_.data(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }
    friend bool operator==(const ClaimId& a, const ClaimId& b) noexcept { return a.view() == b.view(); }
    friend bool operator==(const ClaimId& a, std::string_view b) noexcept { return a.view() == b; }

private:
    std::uint8_t size_ = 0;
    std::array<char, kMaxClaimId> data_{};  // zeroed: copies never read indeterminate bytes
};

// Claims: what a verified token says. `all` holds every claim, registered ones included, when
// the token carries custom claims (names other than those below, iss and aud); it is left empty
// otherwise, so the common token is verified without building a JSON DOM.
struct Claims {
    std::string subject;           // sub: the identity
    ClaimId jti;                   // unique id (128 random bits, base64url)
    TokenType type = TokenType::access;
    Freshness fresh = Freshness::not_fresh;
    ClaimId family;                // fam: the refresh family (empty for lone access tokens)
    ClaimId csrf;                  // csrf: the double-submit value for cookie mode
    std::int64_t issued_at = 0;    // iat
    std::int64_t not_before = 0;   // nbf
    std::int64_t expires_at = 0;   // exp
    boost::json::object all;
};

// Validation: the registered-claim checks (RFC 7519 §4.1) applied by validate_claims.
struct Validation {
    std::int64_t now = 0;                 // Unix seconds
    std::chrono::seconds leeway{30};      // clamped to kMaxLeeway
    std::optional<std::string> issuer;    // when set, iss must equal it
    std::optional<std::string> audience;  // when set, aud (string or array) must contain it
};
// validate_claims checks exp (required), nbf, iat, iss and aud of a parsed claim set.
Result<void, JwtError> validate_claims(const boost::json::object& claims, const Validation& v);

// Config: the Manager's policy; the defaults are the secure choice.
struct Config {
    std::chrono::seconds access_ttl{15 * 60};
    std::chrono::seconds refresh_ttl{30 * 24 * 3600};
    std::chrono::seconds leeway{30};  // refused above kMaxLeeway
    std::optional<std::string> issuer;    // set iss on issue and require it on verify
    std::optional<std::string> audience;  // likewise for aud
    std::string store_prefix = "jwt:";
};

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
};

// Manager: issues and verifies access/refresh tokens, keeps the revocation list in the Store.
// Thread-safe (immutable after construction; the Store is thread-safe).
class Manager {
public:
    // Throws std::invalid_argument on bad configuration (no signing key, leeway > 30 s,
    // null store, non-positive lifetimes).
    Manager(std::vector<Key> keys, Config config, std::shared_ptr<store::Store> store);

    // issue_access: an access token for `identity`; extra_claims may not use registered names.
    Result<std::string, JwtError> issue_access(std::string_view identity, Freshness fresh,
                                               const boost::json::object& extra_claims = {}) const;
    // issue_refresh: a refresh token starting a new family.
    Result<std::string, JwtError> issue_refresh(std::string_view identity) const;
    // issue_pair: a fresh access token and a refresh token of one family (login).
    Result<TokenPair, JwtError> issue_pair(std::string_view identity,
                                           const boost::json::object& extra_claims = {}) const;

    // verify checks signature, claims, type and the revocation list.
    Result<Claims, JwtError> verify(std::string_view untrusted_token, TokenType expected) const;
    // verify_fresh is verify(access) that also requires the fresh flag.
    Result<Claims, JwtError> verify_fresh(std::string_view untrusted_token) const;

    // revoke blocks this token's jti until it would have expired anyway (logout).
    Result<void, JwtError> revoke(const Claims& claims) const;
    // revoke_family blocks every token of a refresh family (log out everywhere for that login).
    Result<void, JwtError> revoke_family(std::string_view family) const;
    // refresh rotates: verifies the refresh token, marks it used, returns a new pair of the
    // same family (access not fresh). A refresh token used twice revokes the family and
    // returns refresh_reused: one of the two users is a thief (OAuth 2.0 Security BCP §4.14).
    Result<TokenPair, JwtError> refresh(std::string_view untrusted_refresh_token,
                                        const boost::json::object& extra_claims = {}) const;

    std::string jwks() const { return keys_.jwks(); }
    const Config& config() const noexcept { return config_; }

    void set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds);

private:
    std::int64_t now() const;
    Result<std::string, JwtError> issue(std::string_view identity, TokenType type,
                                        Freshness fresh, std::string_view family,
                                        const boost::json::object& extra) const;
    Result<void, JwtError> check_revocation(const Claims& claims) const;

    KeySet keys_;
    Config config_;
    std::shared_ptr<store::Store> store_;
    std::function<std::int64_t()> clock_;
};

// bearer_from_authorization_header returns the token of `Bearer <token>` (scheme case-
// insensitive, one space, token68 characters only, at most kMaxTokenSize), else nullopt.
std::optional<std::string_view> bearer_from_authorization_header(std::string_view value) noexcept;

// Cookie mode (double submit): the access token travels in the HttpOnly cookie
// kAccessCookie and its csrf claim in the script-readable cookie kCsrfCookie; on unsafe
// methods the page echoes it in kCsrfHeader. check_csrf compares in constant time.
inline constexpr std::string_view kAccessCookie = "access_token_cookie";
inline constexpr std::string_view kRefreshCookie = "refresh_token_cookie";
inline constexpr std::string_view kCsrfCookie = "csrf_access_token";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
Result<void, JwtError> check_csrf(const Claims& claims, std::string_view untrusted_header_value);

}  // namespace bulwark::jwt
