// bulwark/csrf.hpp: cross-site request forgery protection, sans-I/O.
//
// What it protects against: a page on another site making the user's browser send a
// state-changing request (POST, PUT, PATCH, DELETE) that carries the user's cookies.
//
// Security model (OWASP CSRF Prevention Cheat Sheet; Django; Go 1.25 CrossOriginProtection):
//  1. Fetch metadata: an unsafe request whose `Sec-Fetch-Site` is `cross-site` is refused,
//     even with a valid token; `same-site` is refused unless its Origin is trusted.
//  2. Origin: when present it must be the app's own origin (scheme://host of the request)
//     or one of the trusted origins (TRUSTED_ORIGINS). Over HTTPS with no Origin, the
//     Referer must be same-origin or trusted (Django's strict referer check).
//  3. Synchronizer token bound to the session: the session keeps a 32-byte random secret;
//     each page gets a freshly masked copy (one-time pad, against BREACH), so no two
//     renders give the same bytes; verification unmasks and compares in constant time.
// What it trusts: `is_https` and `host` as resolved by the HTTP layer (trusted proxies);
// the browser's Sec-Fetch-Site / Origin headers (web content cannot forge them).
// What it does not trust: anything else in the request, including the submitted token.
// Tokens and secrets never appear in error messages.
//
//     auto secret = bulwark::csrf::new_session_secret();        // kept in the session
//     std::string token = bulwark::csrf::masked_token(secret);   // put in the form
//     auto ok = bulwark::csrf::check_request(policy, facts);     // on every request
//     if (!ok) return respond(400, bulwark::csrf::error_message(ok.error()));
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::csrf {

// CsrfError: why a request was refused. Every code maps to HTTP 400 (as Flask-WTF).
enum class CsrfError {
    missing,          // no token in the form field `csrf_token` nor the `X-CSRF-Token` header
    malformed,        // not a token this module makes (length, alphabet, encoding, version)
    mismatch,         // well-formed but not for this session (or signature/cookie mismatch)
    session_missing,  // the request has no session secret to check against
    origin_refused,   // Origin / Referer is neither the app's own origin nor trusted
    referer_missing,  // HTTPS request with neither Origin nor Referer
    cross_site,       // Sec-Fetch-Site says cross-site (or same-site and not trusted)
    expired,          // a signed token older than its max age (or dated in the future)
};
// error_name is a stable machine name ("missing", "cross_site", ...) for the security log.
std::string_view error_name(CsrfError e) noexcept;
// error_message is the user-facing text, worded as Flask-WTF ("The CSRF token is missing.").
std::string_view error_message(CsrfError e) noexcept;

// ConfigError: a Policy that cannot be right (thrown by validate_policy at start only).
class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

inline constexpr std::size_t kSecretSize = 32;
// kMaxTokenLength bounds what any verify function will decode.
inline constexpr std::size_t kMaxTokenLength = 256;
// kFormField and kHeader name where the token may be submitted.
inline constexpr std::string_view kFormField = "csrf_token";
inline constexpr std::string_view kHeader = "X-CSRF-Token";

// --- Synchronizer token (the default) -------------------------------------------------

// new_session_secret returns 32 random bytes for the session to keep (server side).
crypto::SecretBytes new_session_secret();
// masked_token returns a fresh token for `secret` each call: base64url(pad || pad XOR secret).
// Thread-safe. `secret` must be kSecretSize bytes (else an empty string is returned).
std::string masked_token(const crypto::SecretBytes& secret);
// verify unmasks `untrusted_token` and compares it with `secret` in constant time.
// Errors: missing (empty), malformed, session_missing (empty secret), mismatch.
Result<void, CsrfError> verify(const crypto::SecretBytes& secret, std::string_view untrusted_token);

// --- Signed, time-limited token for forms with no session ----------------------------

// signed_token makes base64url(version || issued_at || nonce || HMAC-SHA256) with the
// KeyRing's Purpose::csrf subkey (`ring.subkey(Purpose::csrf)`). `binding` ties the token
// to something the attacker does not choose (e.g. the form's path, a pre-session cookie);
// pass the same value to verify_signed.
std::string signed_token(const crypto::SecretBytes& csrf_subkey, std::string_view binding = {},
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// verify_signed accepts a token signed by any of `csrf_subkeys` (current key first, then the
// fallbacks: `ring.subkeys(Purpose::csrf)`), at most `max_age` old (60 s future leeway).
// Errors: missing, malformed, mismatch (bad MAC or binding), expired.
Result<void, CsrfError> verify_signed(std::span<const crypto::SecretBytes> csrf_subkeys,
                                      std::string_view untrusted_token, std::string_view binding = {},
                                      std::chrono::seconds max_age = std::chrono::hours(1),
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The same with the key ring: its current Purpose::csrf subkey signs; every subkey verifies.
std::string signed_token(const crypto::KeyRing& ring, std::string_view binding = {},
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
Result<void, CsrfError> verify_signed(const crypto::KeyRing& ring, std::string_view untrusted_token,
                                      std::string_view binding = {},
                                      std::chrono::seconds max_age = std::chrono::hours(1),
                                      std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// --- Double-submit cookie (APIs that keep a JWT in a cookie) --------------------------

// new_double_submit_token returns a random value for the non-HttpOnly CSRF cookie.
std::string new_double_submit_token();
// verify_double_submit compares the `X-CSRF-Token` header with the cookie in constant time.
// Errors: missing (either absent or empty), malformed (shorter than 16 or longer than
// kMaxTokenLength), mismatch.
Result<void, CsrfError> verify_double_submit(std::string_view untrusted_cookie,
                                             std::string_view untrusted_header);

// --- The per-request check -------------------------------------------------------------

// Mode: what the token is checked against.
enum class Mode {
    session_token,  // synchronizer token against RequestFacts::session_secret
    double_submit,  // X-CSRF-Token header against RequestFacts::double_submit_cookie
};

// Policy: the app's CSRF settings (one per route group). Defaults are the secure choice.
struct Policy {
    // trusted_origins: other origins allowed to post, exactly "scheme://host[:port]"
    // (TRUSTED_ORIGINS). The request's own origin is always trusted.
    std::vector<std::string> trusted_origins;
    Mode mode = Mode::session_token;
    // csrf_exempt: skip every check. Only for routes that never read a cookie (bearer-token
    // APIs); set it visibly per route (`.csrf_exempt()`), never app-wide.
    bool csrf_exempt = false;
};
// validate_policy throws ConfigError when a trusted origin is not "scheme://host[:port]"
// (lower case, no path, no wildcard). Call it once at start.
void validate_policy(const Policy& policy);

// RequestFacts: what check_request needs from one request. Views only; nothing is kept.
struct RequestFacts {
    std::string_view method;                 // "POST", ...
    bool is_https = false;                   // from the trusted-proxy resolver
    std::string_view host;                   // Host header as resolved ("example.com:8443")
    std::optional<std::string_view> sec_fetch_site;
    std::optional<std::string_view> origin;
    std::optional<std::string_view> referer;
    // submitted_token: the form field `csrf_token`, else the header `X-CSRF-Token`.
    std::optional<std::string_view> submitted_token;
    const crypto::SecretBytes* session_secret = nullptr;       // Mode::session_token
    std::optional<std::string_view> double_submit_cookie;      // Mode::double_submit
};

// is_safe_method: GET, HEAD, OPTIONS, TRACE (RFC 9110 §9.2.1) are never checked.
bool is_safe_method(std::string_view method) noexcept;

// check_request runs the whole check (fetch metadata, Origin, Referer, token) in that order
// and returns the first failure. Safe methods and exempt policies pass. Never throws.
Result<void, CsrfError> check_request(const Policy& policy, const RequestFacts& facts);

// check_origin runs only the fetch-metadata / Origin / Referer part (step 1 and 2 above).
Result<void, CsrfError> check_origin(const Policy& policy, const RequestFacts& facts);

}  // namespace bulwark::csrf
