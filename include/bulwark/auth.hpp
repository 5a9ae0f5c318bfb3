// bulwark/auth.hpp: the login manager (who is logged in, for how long, how freshly),
// remember-me tokens, roles and permissions, safe redirects, login throttles and TOTP.
//
// Security model:
// - Login state lives in the session (bulwark/session.hpp); login_user rotates the session
//   id (fixation) and current_user_id reads only a completed login, so a login waiting for
//   its second factor is anonymous everywhere else.
// - Remember-me (https://paragonie.com/blog/2015/04/secure-authentication-php-with-long-term-persistence):
//   selector.validator cookies; the store keeps HMAC(KeyRing remember_me subkey, selector,
//   user, validator) only; each use rotates the validator; an old validator presented again
//   (a copied cookie) revokes every remember token of that user and is reported.
// - Decisions (login_required, roles, permissions, ownership) are pure functions returning a
//   status and a reason for `authz_fail` logging; 404 instead of 403 where existence must
//   not leak.
// - safe_next only ever returns a local path (OWASP Unvalidated Redirects Cheat Sheet).
// - LoginThrottle counts in the shared store, per address and per account, with the same
//   answers for unknown users and wrong passwords.
// - TOTP per RFC 6238 with replay refusal in the store and single-use hashed recovery codes.
// Nothing here logs; every result says enough for the glue to log the OWASP event.
//
//     auto d = bulwark::auth::login_required(is_json, req.target(), !current_user_id(s).empty());
//     if (d.outcome != Outcome::allow) return respond(d.status(), d.location);
//     if (auto next = bulwark::auth::safe_next(form["next"])) redirect(*next);
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/ratelimit.hpp>
#include <bulwark/result.hpp>
#include <bulwark/session.hpp>
#include <bulwark/store.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::auth {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// ---- login state in the session (login.cpp) -------------------------------------------

enum class Remember { no, yes };
enum class Fresh { no, yes };

// login_user records a completed login: rotates the session id, binds the session to the
// user (listing, log out everywhere), stores the login time, the fresh flag and the app's
// auth_epoch (e.g. a counter bumped on password change, compared by the user loader).
// Clears any pending second factor. The caller issues a remember token when asked.
void login_user(session::Session& s, std::string_view user_id, Fresh fresh = Fresh::yes,
                std::int64_t auth_epoch = 0, TimePoint now = Clock::now());
// logout_user destroys the session (record removed at save, cookie deleted).
void logout_user(session::Session& s);
// current_user_id: the logged-in user, or empty (anonymous or second factor pending).
std::string current_user_id(const session::Session& s);
// auth_epoch: the value given to login_user (0 when none).
std::int64_t auth_epoch(const session::Session& s);
// is_fresh: logged in by password (not remember-me) within max_age.
bool is_fresh(const session::Session& s, std::chrono::seconds max_age = std::chrono::minutes(15),
              TimePoint now = Clock::now());
// mark_fresh: after re-authentication (password entered again).
void mark_fresh(session::Session& s, TimePoint now = Clock::now());

// Two-step login: the password was right, a second factor is awaited. The session is
// rotated and holds only the pending user id, expiring after ttl.
void begin_second_factor(session::Session& s, std::string_view user_id, Remember remember,
                         std::chrono::seconds ttl = std::chrono::minutes(5), TimePoint now = Clock::now());
struct Pending {
    std::string user_id;
    Remember remember = Remember::no;
};
// pending_second_factor: the pending login, if any and not expired (an expired one is removed).
std::optional<Pending> pending_second_factor(session::Session& s, TimePoint now = Clock::now());
// complete_second_factor: turns the pending login into a login (login_user); nullopt when
// nothing is pending.
std::optional<Pending> complete_second_factor(session::Session& s, std::int64_t auth_epoch = 0,
                                              TimePoint now = Clock::now());

// ---- decisions (decisions.cpp) -----------------------------------------------------------

enum class Outcome { allow, redirect_login, unauthorized, forbidden, not_found };
enum class RequestKind { html, json };
enum class HideExistence { no, yes };

// Decision: what to answer. `location` for redirect_login; `reason` for the authz_fail log
// line (never shown to the client).
struct Decision {
    Outcome outcome = Outcome::allow;
    std::string location;
    std::string reason;
    int status() const noexcept;  // 200, 303, 401, 403, 404
    bool allowed() const noexcept { return outcome == Outcome::allow; }
};

// login_required: HTML -> 303 to /login?next=<percent-encoded local path+query>; JSON -> 401.
Decision login_required(RequestKind kind, std::string_view path_and_query, bool logged_in,
                        std::string_view login_path = "/login");
// fresh_login_required: like login_required, and a stale login is sent to log in again.
Decision fresh_login_required(RequestKind kind, std::string_view path_and_query,
                              const session::Session& s,
                              std::chrono::seconds max_age = std::chrono::minutes(15),
                              TimePoint now = Clock::now(), std::string_view login_path = "/login");

// RoleModel: role -> permissions. Immutable after set-up; thread-safe to read.
class RoleModel {
public:
    RoleModel& grant(std::string role, std::vector<std::string> permissions);
    bool has_permission(const std::set<std::string>& user_roles, std::string_view permission) const;

private:
    std::map<std::string, std::set<std::string>, std::less<>> grants_;
};

enum class Match { all, any };
Decision roles_required(const std::set<std::string>& user_roles, std::span<const std::string_view> required,
                        Match match = Match::all, HideExistence hide = HideExistence::no);
Decision permission_required(const RoleModel& model, const std::set<std::string>& user_roles,
                             std::string_view permission, HideExistence hide = HideExistence::no);
// require_owner: allow only the owner; 404 by default so ids of others' resources tell nothing.
Decision require_owner(std::string_view resource_owner_id, std::string_view current_user_id,
                       HideExistence hide = HideExistence::yes);

// safe_next returns `untrusted` unchanged when it is a local path ("/..." on this site) and
// nullopt otherwise: schemes, "//host", backslashes, encoded slashes or backslashes,
// control characters, whitespace, non-ASCII, bad percent-escapes, over kMaxNext bytes.
inline constexpr std::size_t kMaxNext = 2048;
std::optional<std::string> safe_next(std::string_view untrusted);

// ---- remember-me (remember.cpp) ------------------------------------------------------------

struct RememberOptions {
    std::chrono::seconds lifetime{30 * 24 * 60 * 60};
    // reuse_grace: a just-rotated validator presented again within this time (two tabs
    // racing) is refused without the theft response.
    std::chrono::seconds reuse_grace{10};
    bool production = false;
    std::string cookie_base_name = "remember";
    std::string key_prefix = "rm|";
    std::size_t max_tokens_per_user = 20;
    std::function<TimePoint()> now;
};

enum class RememberError {
    malformed,        // not selector.validator of our shape: ignore and delete the cookie
    unknown,          // no such selector (expired, revoked)
    expired,
    superseded,       // the previous validator within the grace: ignore, keep the user's tokens
    theft_detected,   // wrong or old validator: every token of `user_id` revoked; log it
    store_unavailable,
};
std::string_view remember_error_name(RememberError e) noexcept;

struct RememberFailure {
    RememberError code;
    std::string user_id;  // set for theft_detected
};
struct RememberLogin {
    std::string user_id;
    session::CookieSpec cookie;  // the rotated token; send it
};

// RememberMe: long-lived login tokens in the store. Thread-safe.
class RememberMe {
public:
    RememberMe(std::shared_ptr<store::Store> store, const crypto::KeyRing& keys, RememberOptions options = {});

    Result<session::CookieSpec, store::StoreError> issue(std::string_view user_id) const;
    // consume checks a cookie and rotates it. On success the glue calls login_user with
    // Fresh::no and sends the new cookie.
    Result<RememberLogin, RememberFailure> consume(std::string_view untrusted_cookie_value) const;
    // revoke removes the cookie's token (logout); a malformed value is ignored.
    Result<void, store::StoreError> revoke(std::string_view untrusted_cookie_value) const;
    // revoke_all removes every token of the user (password change, theft).
    Result<std::size_t, store::StoreError> revoke_all(std::string_view user_id) const;
    // deleting_cookie: the Set-Cookie that removes the cookie from the browser.
    session::CookieSpec deleting_cookie() const;
    std::string cookie_name() const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

// ---- login throttles (throttle.cpp) ------------------------------------------------------

struct ThrottleOptions {
    std::string per_address = "5 per minute";   // login attempts per client address
    std::int64_t account_max_failures = 10;     // failed logins per account per window
    std::chrono::seconds account_window{15 * 60};
    std::string key_prefix = "lt|";
};
enum class Throttled { none, address, account };
struct ThrottleDecision {
    bool allowed = true;
    Throttled which = Throttled::none;
    std::chrono::seconds retry_after{0};  // for 429 Retry-After
    bool first_exceeded = false;          // log excess_rate_limit_exceeded once per window
    bool degraded = false;                // the store failed: refused (fails closed), retry soon
};
// FailureRecord: log authn_login_fail always, authn_login_fail_max when reached_max (once,
// at the failure that reaches the limit), authn_login_lock when locked.
struct FailureRecord {
    std::int64_t count = 0;
    bool reached_max = false;
    bool locked = false;
};

// LoginThrottle: per-address and per-account brute-force limits, counted in the store.
// Usernames are folded to lower case and hashed into the key, so unknown and known
// accounts are counted alike. Thread-safe.
class LoginThrottle {
public:
    // Throws std::invalid_argument for a bad per_address string (configuration).
    LoginThrottle(std::shared_ptr<store::Store> store, ratelimit::Limiter& limiter, ThrottleOptions options = {});

    // check counts the attempt against the address limit and refuses a locked account.
    ThrottleDecision check(std::string_view address, std::string_view username);
    Result<FailureRecord, store::StoreError> record_failure(std::string_view address, std::string_view username);
    Result<void, store::StoreError> record_success(std::string_view username);

private:
    std::string account_key(std::string_view username) const;
    std::shared_ptr<store::Store> store_;
    ratelimit::Limiter& limiter_;
    ThrottleOptions options_;
    std::vector<ratelimit::Limit> address_limits_;
};

// ---- TOTP (totp.cpp, base32.cpp, recovery.cpp) ---------------------------------------------

// base32 (RFC 4648 §6), upper case. Decoding is strict: only A-Z and 2-7, optional correct
// '=' padding, no whitespace, canonical trailing bits, at most kMaxBase32 characters.
inline constexpr std::size_t kMaxBase32 = 1024;
std::string base32_encode(crypto::ByteView data, bool pad = false);
std::optional<crypto::Bytes> base32_decode(std::string_view text);

enum class TotpAlgorithm { sha1, sha256 };
struct TotpParams {
    TotpAlgorithm algorithm = TotpAlgorithm::sha1;
    int digits = 6;                        // 6 to 8
    std::chrono::seconds period{30};
    int drift_steps = 1;                   // steps accepted either side of now
};

// totp_code: the code for `when` (RFC 6238 §4 / RFC 4226 §5.3); empty for bad params.
std::string totp_code(crypto::ByteView secret, TotpParams params, TimePoint when);
// totp_match: the time step whose code equals `code` within the drift window, compared in
// constant time; nullopt when none.
std::optional<std::int64_t> totp_match(crypto::ByteView secret, std::string_view code, TotpParams params,
                                       TimePoint now);
// new_totp_secret: 20 random bytes for SHA-1, 32 for SHA-256 (RFC 4226 §4 R6).
crypto::Bytes new_totp_secret(TotpAlgorithm algorithm = TotpAlgorithm::sha1);
// otpauth_uri: the enrolment URI for a QR code (Key Uri Format), label and values encoded.
std::string otpauth_uri(std::string_view issuer, std::string_view account, crypto::ByteView secret,
                        TotpParams params = {});

enum class TotpResult { ok, wrong, replayed, store_unavailable };
// TotpVerifier refuses a code used before: per user, the last accepted time step is kept in
// the store, and each step is claimed atomically with set_if_absent. Thread-safe.
class TotpVerifier {
public:
    explicit TotpVerifier(std::shared_ptr<store::Store> store, std::string key_prefix = "totp|");
    TotpResult verify(std::string_view user_id, crypto::ByteView secret, std::string_view untrusted_code,
                      TotpParams params = {}, TimePoint now = Clock::now()) const;

private:
    std::shared_ptr<store::Store> store_;
    std::string prefix_;
};

// Recovery codes: 10 codes of 16 base32 characters (80 bits) shown once as xxxx-xxxx-xxxx-xxxx;
// the store keeps SHA-256 hashes only; each works once.
class RecoveryCodes {
public:
    explicit RecoveryCodes(std::shared_ptr<store::Store> store, std::string key_prefix = "totp|rc|");
    // generate replaces the user's codes and returns the new ones to show.
    Result<std::vector<std::string>, store::StoreError> generate(std::string_view user_id, std::size_t count = 10) const;
    // use: true when the code was one of the user's unused codes (now used). Case, spaces
    // and dashes in the input are forgiven.
    Result<bool, store::StoreError> use(std::string_view user_id, std::string_view untrusted_code) const;
    Result<std::size_t, store::StoreError> remaining(std::string_view user_id) const;

private:
    std::shared_ptr<store::Store> store_;
    std::string prefix_;
};

}  // namespace bulwark::auth
