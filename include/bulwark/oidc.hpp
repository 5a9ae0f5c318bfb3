// bulwark/oidc.hpp: OpenID Connect login (the authorization-code flow with PKCE) against one
// configured provider: discovery, JWKS, the authorization request, the code exchange and the
// ID token check (OpenID Connect Core 1.0 §3.1, RFC 7636, RFC 9700).
//
// Security model: the provider's documents are untrusted input until checked. They are
// fetched over HTTPS only, certificate and host name verified (plain http only for a loopback
// issuer, and only with the loudly named InsecureHttp::allow_loopback_for_testing), each under
// a size limit, parsed as strict JSON (repeated names refused). The discovery document must
// name exactly the configured issuer, and every endpoint in it must be https. `state`, `nonce`
// and the PKCE verifier (256 bits each, from bulwark::crypto) stay on the server, in the
// PendingLogin the app keeps in the user's session and uses once; `state` is compared in
// constant time. The ID token is verified with the JWT component, with a key from the
// provider's JWKS whose algorithm is asymmetric and allowed: `none` and every HMAC algorithm
// are refused (a public-key provider's "secret" would be its public key). Then iss, aud (and
// azp when there are several audiences), exp, iat (bounded skew and age) and nonce are all
// checked. Nothing here logs; errors never carry a token, a code or a secret.
//
// Parsing and checks are sans-I/O (parse_discovery, Jwks::parse, parse_token_response,
// verify_id_token); Client adds the HTTPS fetching through a Transport (libcurl by default).
//
//     oidc::Client client({.issuer = "https://accounts.example.com", .client_id = "app",
//                          .client_secret = crypto::SecretBytes(secret),
//                          .redirect_uri = "https://app.example.com/login/oidc/callback"});
//     auto start = client.begin();                       // GET /login/oidc
//     session.set("oidc", oidc::to_json(start->pending)); return redirect(start->url);
//     ...                                                // GET /login/oidc/callback
//     auto who = client.finish(*pending, req.query("state"), req.query("code"));
//     if (!who) return 400;  // who->issuer + who->subject is the identity, never the email
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/jwt.hpp>
#include <bulwark/result.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::oidc {

// Error: why a step of the login failed. error_name() is a fixed string for logs and tests.
enum class Error {
    fetch_failed,       // connection, TLS (certificate or host name) or timeout
    http_status,        // a document was answered with a status other than 200
    too_large,          // a document over its size limit
    malformed,          // not strict JSON, not an object, or a member of the wrong type
    missing_field,      // a required member is absent or empty
    insecure_url,       // an endpoint that is not https (or loopback http when allowed)
    issuer_mismatch,    // discovery names another issuer than the configured one
    no_usable_key,      // no JWKS key for the token's kid and algorithm (after one refetch)
    state_mismatch,     // the callback's state is not the one this session started, or too old
    provider_error,     // the callback carries error=... or no code
    token_rejected,     // the token endpoint refused the code (reused code, PKCE mismatch, ...)
    id_token_malformed, // the ID token is not a well-formed JWS or its header is unacceptable
    alg_not_allowed,    // alg is none, HMAC, or not in Config::allowed_algorithms
    bad_signature,      // the signature does not verify
    wrong_issuer,       // iss differs from the issuer
    wrong_audience,     // aud does not contain the client id
    wrong_azp,          // azp present and not the client id, or absent with several audiences
    expired,            // exp + leeway is past
    issued_in_future,   // iat (or nbf) more than the leeway ahead
    too_old,            // iat older than Config::max_token_age
    nonce_mismatch,     // nonce absent or not the one of this login
    missing_claim,      // sub, exp or iat absent
};
std::string_view error_name(Error e) noexcept;

// Documents: the size limits of what the provider sends back.
inline constexpr std::size_t kMaxDocumentSize = 64 * 1024;   // discovery, JWKS, token response
inline constexpr std::size_t kMaxJwksKeys = 32;
inline constexpr std::chrono::seconds kMaxLeeway{60};

// ClientAuth: how the client secret goes to the token endpoint (RFC 6749 §2.3.1).
enum class ClientAuth { client_secret_basic, client_secret_post };
// InsecureHttp: http:// is refused; the opt-out is for a loopback test provider only.
enum class InsecureHttp { refuse, allow_loopback_for_testing };

// Config: one provider. The defaults are the secure choice. Client's constructor throws
// std::invalid_argument on a bad one (empty issuer or client id, http issuer without the
// opt-out, an HMAC or unknown algorithm, leeway over kMaxLeeway).
struct Config {
    std::string issuer;                 // exact, compared byte for byte with discovery and iss
    std::string client_id;
    crypto::SecretBytes client_secret;  // empty: a public client (PKCE only)
    std::string redirect_uri;           // as registered; empty: begin() is given one each time
    std::vector<std::string> scopes{"openid", "email", "profile"};  // "openid" is always sent
    ClientAuth client_auth = ClientAuth::client_secret_basic;
    std::vector<jwt::Algorithm> allowed_algorithms{jwt::Algorithm::rs256, jwt::Algorithm::ps256,
                                                   jwt::Algorithm::es256, jwt::Algorithm::eddsa};
    std::chrono::seconds leeway{30};               // clock skew for exp, iat, nbf
    std::chrono::seconds max_token_age{10 * 60};   // iat older than this: too_old
    std::chrono::seconds max_login_time{10 * 60};  // begin() to finish(): state_mismatch after
    std::chrono::seconds metadata_ttl{60 * 60};    // discovery and JWKS cached this long
    std::chrono::seconds jwks_refetch_interval{60};  // unknown kid: refetch at most this often
    std::string ca_file;                           // extra CA bundle (tests, private CAs)
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds timeout{10000};
    InsecureHttp insecure_http = InsecureHttp::refuse;
};

// ------------------------------------------------------------------ transport (the I/O)
struct HttpRequest {
    std::string url;
    std::string form_body;  // non-empty: POST application/x-www-form-urlencoded
    std::vector<std::pair<std::string, std::string>> headers;
};
struct HttpResponse {
    long status = 0;
    std::string body;
};
// Transport: one HTTPS exchange. Implementations refuse bodies over kMaxDocumentSize
// (too_large) and report connection and TLS failures as fetch_failed. Thread-safe.
class Transport {
public:
    virtual ~Transport() = default;
    virtual Result<HttpResponse, Error> send(const HttpRequest& request) = 0;
};
// curl_transport: libcurl, https only (http only under allow_loopback_for_testing and only
// to a loopback host), peer and host verified, no redirects followed, timeouts from config.
std::shared_ptr<Transport> curl_transport(const Config& config);

// ------------------------------------------------------------------ documents (sans-I/O)
struct ProviderMetadata {
    std::string issuer;
    std::string authorization_endpoint;
    std::string token_endpoint;
    std::string jwks_uri;
    std::vector<std::string> id_token_signing_alg_values_supported;
};
// discovery_url: <issuer>/.well-known/openid-configuration (OpenID Discovery §4).
std::string discovery_url(std::string_view issuer);
// parse_discovery checks size, strict JSON, the issuer (exactly expected_issuer) and that
// every endpoint is https (or loopback http when allowed).
Result<ProviderMetadata, Error> parse_discovery(std::string_view untrusted_json, std::string_view expected_issuer,
                                                InsecureHttp insecure = InsecureHttp::refuse);

// Jwks: the provider's signature keys (RFC 7517). Keys for encryption (use "enc"), symmetric
// keys, keys holding private parts and kinds the JWT component does not know are skipped.
class Jwks {
public:
    static Result<Jwks, Error> parse(std::string_view untrusted_json);
    // key_for: a verification key of `alg` for the token's kid (no kid: the only key that
    // fits). no_usable_key when none fits; alg_not_allowed for an HMAC alg.
    Result<jwt::Key, Error> key_for(std::optional<std::string_view> kid, jwt::Algorithm alg) const;
    std::size_t size() const noexcept { return keys_.size(); }

private:
    struct Entry {
        std::string kid;
        std::string kty;            // RSA, EC, OKP
        std::optional<jwt::Algorithm> alg;  // when the JWK names one
        std::string json;           // the JWK, for jwt::Key::from_jwk
    };
    std::vector<Entry> keys_;
};

// TokenResponse: what the token endpoint gave for the code (RFC 6749 §5.1, OIDC Core §3.1.3.3).
struct TokenResponse {
    std::string id_token;
};
// parse_token_response: 200 with token_type Bearer and an id_token; a 4xx error body is
// token_rejected; other statuses are http_status.
Result<TokenResponse, Error> parse_token_response(long status, std::string_view untrusted_json);

// Identity: who the provider says logged in. issuer + subject is the stable key; email is
// informational only (never a reason to link accounts).
struct Identity {
    std::string issuer;
    std::string subject;
    std::string email;
    bool email_verified = false;
    std::string name;
    std::string preferred_username;
    boost::json::object claims;
};
// IdTokenCheck: what verify_id_token expects of one login's ID token.
struct IdTokenCheck {
    std::string issuer;
    std::string client_id;
    std::string nonce;
    std::int64_t now = 0;  // Unix seconds
    std::chrono::seconds leeway{30};
    std::chrono::seconds max_token_age{10 * 60};
    std::vector<jwt::Algorithm> allowed_algorithms;
};
// peek_kid_alg reads an unverified token's header: its alg (refused when none, HMAC or not
// allowed) and kid. Exposed so the Client can pick a key before verification.
struct TokenHeader {
    jwt::Algorithm alg;
    std::optional<std::string> kid;
};
Result<TokenHeader, Error> read_header(std::string_view untrusted_token, const std::vector<jwt::Algorithm>& allowed);
// verify_id_token: signature with a JWKS key, then iss, aud, azp, exp, nbf, iat, nonce, sub.
Result<Identity, Error> verify_id_token(std::string_view untrusted_token, const Jwks& keys, const IdTokenCheck& check);

// ------------------------------------------------------------------ authorization request
// PendingLogin: the secrets of one login in progress, kept server-side (in the session) from
// begin() to finish(), and used once.
struct PendingLogin {
    std::string state;          // 256 bits, base64url
    std::string nonce;          // 256 bits, base64url
    std::string code_verifier;  // 256 bits, base64url (43 characters, RFC 7636 §4.1)
    std::int64_t created_at = 0;
    std::string redirect_uri;   // sent again with the code (RFC 6749 §4.1.3)
};
PendingLogin new_pending_login(std::int64_t now, std::string redirect_uri = {});
// code_challenge_s256: BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
std::string code_challenge_s256(std::string_view code_verifier);
// to_json / pending_from_json: the session form of a PendingLogin (nullopt if damaged).
boost::json::object to_json(const PendingLogin& pending);
std::optional<PendingLogin> pending_from_json(const boost::json::value& untrusted);
// authorization_url: the endpoint with response_type=code, client_id, redirect_uri, scope,
// state, nonce, code_challenge and code_challenge_method=S256.
std::string authorization_url(const ProviderMetadata& provider, const Config& config, const PendingLogin& pending);
// form_encode: application/x-www-form-urlencoded (RFC 6749 Appendix B).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// ------------------------------------------------------------------ the client (I/O)
struct AuthRequest {
    std::string url;       // where to send the browser (303)
    PendingLogin pending;  // what to keep in the session
};

// Client: discovery and JWKS cached (refetched after metadata_ttl; on an unknown kid at most
// once per jwks_refetch_interval), begin() and finish(). Thread-safe.
class Client {
public:
    explicit Client(Config config, std::shared_ptr<Transport> transport = nullptr);

    // begin: a fresh PendingLogin and the provider URL to redirect to. redirect_uri overrides
    // Config::redirect_uri (an app that derives it from its own address); missing_field when
    // neither is set.
    Result<AuthRequest, Error> begin(std::string_view redirect_uri = {});
    // finish: state (constant time, within max_login_time), the code exchange with the
    // verifier, then verify_id_token with the pending nonce. The caller must have removed
    // `pending` from the session before calling, so a replay finds nothing.
    Result<Identity, Error> finish(const PendingLogin& pending, std::string_view untrusted_state,
                                   std::string_view untrusted_code);
    // exchange_code: the token request alone (exposed for tests of the provider's PKCE check).
    Result<TokenResponse, Error> exchange_code(std::string_view code, std::string_view code_verifier,
                                               std::string_view redirect_uri);

    const Config& config() const noexcept { return config_; }
    void set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds);

private:
    std::int64_t now() const;
    Result<ProviderMetadata, Error> metadata();
    Result<std::shared_ptr<const Jwks>, Error> jwks(bool force_refetch);

    Config config_;
    std::shared_ptr<Transport> transport_;
    std::function<std::int64_t()> clock_;
    std::mutex mutex_;
    std::optional<ProviderMetadata> metadata_;
    std::int64_t metadata_fetched_at_ = 0;
    std::shared_ptr<const Jwks> jwks_;
    std::int64_t jwks_fetched_at_ = 0;
};

}  // namespace bulwark::oidc
