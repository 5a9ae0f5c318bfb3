// bulwark/session.hpp: login sessions kept on the server (the default) or signed into the
// cookie, with the timeouts, rotation and "log out everywhere" that a login needs.
//
// Security model (OWASP Session Management Cheat Sheet):
// - Server-side (Manager): the cookie carries only a 256-bit random id (43 base64url
//   characters, parsed strictly; anything else is "no session"). The store keeps the record
//   under HMAC-SHA256(KeyRing subkey Purpose::session, id), so a dump of the store gives no
//   id a client could present. Idle (30 min) and absolute (12 h) timeouts are enforced on
//   load from the record's own times, not from the cookie. rotate() gives a new id keeping
//   the data (on login, logout and privilege change: session fixation); destroy() removes
//   the record. Each user's sessions are indexed so they can be listed and ended together
//   (after a password change), and a per-user epoch catches a session that raced the end.
// - Signed client-side (ClientManager): the data travels in the cookie, signed with the
//   KeyRing (crypto::Signer, Purpose::session) and dated; readable by the client, not
//   forgeable, NOT revocable: a copied cookie stays valid until it times out. Use it only
//   when an app wants no store.
// - Cookies: HttpOnly, SameSite=Lax, Path=/; `__Host-` prefix and Secure in production.
// Nothing here logs, and no error carries an id or data. Sans-I/O: the HTTP glue passes the
// cookie value in and writes the returned CookieSpec out.
//
//     bulwark::session::Manager sessions{store, key_ring, {.production = true}};
//     auto s = sessions.load(request_cookie_value, client_address, user_agent);
//     if (s.state() == LoadState::expired) log(session_expired);
//     s.set("cart", 3);
//     if (auto cookie = sessions.save(s); cookie && *cookie) response.set_cookie(**cookie);
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>
#include <bulwark/store.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::session {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// LoadState: what load() found, so the glue can log `session_created` / `session_expired`.
enum class LoadState {
    none,           // no cookie: a new, empty session
    loaded,         // a live session from the store / cookie
    malformed,      // the cookie value was not of our shape (wrong length or alphabet, bad signature)
    unknown,        // well-formed id, no record (already destroyed, or forged)
    expired,        // idle or absolute timeout passed
    revoked,        // the user's sessions were ended ("log out everywhere") after this one began
    store_error,    // the store could not answer: treated as no session (fails closed)
};
std::string_view load_state_name(LoadState s) noexcept;

// CookieSpec: the Set-Cookie the glue must send. `max_age` nullopt: a browser-session
// cookie; zero: delete the cookie. http_only, SameSite=Lax and Path=/ are fixed.
struct CookieSpec {
    std::string name;
    std::string value;
    std::optional<std::chrono::seconds> max_age;
    bool secure = false;
    bool http_only = true;
    std::string_view same_site = "Lax";
    std::string_view path = "/";
};

// cookie_name: `session` in development, `__Host-session` in production (RFC 6265bis
// §4.1.3.2: the prefix forces Secure, Path=/ and no Domain, so a sibling subdomain cannot
// plant a fixation cookie). A custom base name gets the same prefix.
std::string cookie_name(bool production, std::string_view base = "session");

// Session: one request's view of a session. Plain data; the Manager that loaded it saves
// it. Not thread-safe (one request). Its id never leaves except in the CookieSpec.
class Session {
public:
    Session() = default;

    // get returns a data member or nullptr.
    const boost::json::value* get(std::string_view key) const noexcept;
    // set stores a value; the record is written at save().
    void set(std::string_view key, boost::json::value value);
    bool erase(std::string_view key);
    // clear empties the data (the id stays; call rotate() too when privileges change).
    void clear();
    const boost::json::object& data() const noexcept { return data_; }
    // mutable_data marks the session changed whatever the caller does.
    boost::json::object& mutable_data();

    // rotate asks for a new id at save(), data kept, old record removed (fixation defence).
    void rotate() noexcept { rotate_ = true; }
    // destroy removes the record at save() and empties the session; data set afterwards
    // starts a new session with a new id.
    void destroy();

    // bind_user ties the session to a user for listing and "log out everywhere"; an empty id
    // unbinds. Changing the user also rotates.
    void bind_user(std::string_view user_id);
    const std::string& user_id() const noexcept { return user_id_; }

    LoadState state() const noexcept { return state_; }
    bool is_new() const noexcept { return id_.empty(); }
    bool modified() const noexcept { return modified_; }
    TimePoint created_at() const noexcept { return created_; }
    TimePoint last_seen() const noexcept { return last_seen_; }
    // handle: a public random name for this session (not the id), for the sessions page
    // and /account/sessions/<handle>/revoke. Empty until first saved.
    const std::string& handle() const noexcept { return handle_; }

private:
    friend class Manager;
    friend class ClientManager;

    boost::json::object data_;
    std::string id_;          // the cookie secret; empty: not stored yet
    std::string handle_;
    std::string user_id_;
    std::string stored_user_;     // the user the stored record (and index) names
    std::string destroyed_id_;    // destroy(): the record to erase at save
    std::string destroyed_user_;
    std::string address_;
    std::string user_agent_;
    std::int64_t epoch_ = 0;
    TimePoint created_{};
    TimePoint last_seen_{};
    LoadState state_ = LoadState::none;
    bool modified_ = false;
    bool rotate_ = false;
    bool destroy_ = false;
    bool had_cookie_ = false;
};

// Options: the defaults are the secure choice.
struct Options {
    bool production = false;                      // __Host- prefix and Secure
    std::string cookie_base_name = "session";
    std::chrono::seconds idle_timeout{30 * 60};
    std::chrono::seconds absolute_timeout{12 * 60 * 60};
    // refresh_interval: an unchanged session is rewritten (last_seen) at most this often,
    // so a read-only request costs one store read. Also how often the user epoch is checked.
    std::chrono::seconds refresh_interval{60};
    std::size_t max_data_bytes = 64 * 1024;       // serialized JSON of the data
    std::size_t max_sessions_per_user = 50;       // beyond it the oldest are ended
    // persistent_cookie: give the cookie Max-Age = absolute_timeout instead of a browser-
    // session cookie.
    bool persistent_cookie = false;
    std::string key_prefix = "sess|";
    std::function<TimePoint()> now;               // tests replace the clock
};

// SaveError: why save() wrote nothing. Nothing carries the data or the id.
enum class SaveError {
    too_large,          // the data is over max_data_bytes (or the signed cookie over 4 KiB)
    store_unavailable,  // the store failed
};
std::string_view save_error_name(SaveError e) noexcept;

// SessionInfo: one line of a user's session list (issue 13's sessions page).
struct SessionInfo {
    std::string handle;
    TimePoint created_at;
    TimePoint last_seen;
    std::string address;
    std::string user_agent;
};

// Manager: server-side sessions over a Store. Thread-safe (holds no per-request state).
class Manager {
public:
    Manager(std::shared_ptr<store::Store> store, const crypto::KeyRing& keys, Options options = {});

    // load reads the session named by the cookie value (the raw value of the Cookie header's
    // pair, untrusted). Anything wrong gives a new empty session whose state() says why.
    // address and user_agent are recorded when a session is created (for the sessions list).
    Session load(std::string_view untrusted_cookie_value, std::string_view address = {},
                 std::string_view user_agent = {}) const;
    // save writes what changed and returns the cookie to send: nullopt when no Set-Cookie is
    // needed (unchanged, or anonymous and empty), a deleting CookieSpec when a cookie must go.
    Result<std::optional<CookieSpec>, SaveError> save(Session& session) const;

    // end_all_for_user ends every session of the user ("log out everywhere"), except `keep`
    // when given (the session making the change stays logged in; save it afterwards).
    // Returns how many were ended.
    Result<std::size_t, store::StoreError> end_all_for_user(std::string_view user_id,
                                                            Session* keep = nullptr) const;
    // list_for_user lists the user's live sessions, oldest first.
    Result<std::vector<SessionInfo>, store::StoreError> list_for_user(std::string_view user_id) const;
    // revoke ends one of the user's sessions by handle; false when the handle is not one of
    // this user's sessions (answer 404, never say whose it is).
    Result<bool, store::StoreError> revoke(std::string_view user_id, std::string_view handle) const;

    std::string cookie_name() const;
    const Options& options() const noexcept { return options_; }

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
    Options options_;
};

// kCookieIdLength: base64url characters of a 32-byte id.
inline constexpr std::size_t kCookieIdLength = 43;
// valid_cookie_id: the strict shape check load() applies (exactly 43 base64url characters
// that decode canonically). Exposed for the fuzz target and the glue's own checks.
bool valid_cookie_id(std::string_view untrusted) noexcept;

// decode_record_for_testing: runs the store-record decoder on untrusted JSON; true when it
// would be accepted. For the fuzz target.
bool decode_record_for_testing(std::string_view json, const Options& options = {});

// ClientOptions: signed client-side sessions.
struct ClientOptions {
    bool production = false;
    std::string cookie_base_name = "session";
    std::chrono::seconds idle_timeout{30 * 60};
    std::chrono::seconds absolute_timeout{12 * 60 * 60};
    std::chrono::seconds refresh_interval{60};
    std::size_t max_cookie_bytes = 4000;  // browsers keep about 4096 bytes per cookie
    bool persistent_cookie = false;
    std::function<TimePoint()> now;
};

// ClientManager: signed client-side sessions (Flask's default). NOT revocable: destroy()
// deletes the cookie in this browser only; a copy stays valid until its idle or absolute
// timeout. end_all_for_user is impossible by design. Thread-safe.
class ClientManager {
public:
    ClientManager(const crypto::KeyRing& keys, ClientOptions options = {});

    Session load(std::string_view untrusted_cookie_value) const;
    Result<std::optional<CookieSpec>, SaveError> save(Session& session) const;
    std::string cookie_name() const;

private:
    std::shared_ptr<const crypto::Signer> signer_;
    ClientOptions options_;
};

}  // namespace bulwark::session
