// check_login: the password check POST /login and POST /api/login share. In order:
//   1. the login throttle (auth::LoginThrottle): attempts per client address, and a lock on an
//      account after too many failures, both counted in the shared store so that every
//      instance sees them (OWASP Authentication Cheat Sheet, "Protect against automated attacks");
//   2. the password, against the stored hash or a dummy of the same cost for an unknown user,
//      so neither the answer nor its timing says which of the two was wrong;
//   3. a stored hash of an older scheme (Werkzeug pbkdf2/scrypt, bcrypt) or weaker parameters is
//      replaced by a current argon2id one, with the password the user has just proven.
#include "app_state.hpp"

#include <string>

namespace reference::detail {
namespace {

namespace audit = bulwark::audit;

void log(State& state, audit::Event event, const bulwark::Request& req, std::string_view user,
         std::initializer_list<audit::Field> fields = {}) {
    if (state.services.audit) state.services.audit->log(event, {req.request_id(), req.client_address(), user}, fields);
}

// store_rehash replaces the stored hash only if it is still the one just verified, so a
// password changed meanwhile (another request, another instance) is never overwritten with
// the old password's new hash. A failure here costs the upgrade, not the login.
void store_rehash(State& state, const bulwark::Request& req, std::string_view username, const std::string& old_hash,
                  const std::string& new_hash) {
    auto r = state.db.execute("UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                              new_hash, username, old_hash);
    if (!r && state.services.error_log)
        state.services.error_log(req.request_id(), "password rehash: " + r.error().diagnostic_for_log());
}

// busy_outcome: the hashing pool's queue is full, so the login is refused before any work
// (503 + Retry-After), not queued without bound.
LoginCheck busy_outcome() { return {LoginOutcome::busy, std::chrono::seconds{1}}; }

}  // namespace

LoginCheck check_login(State& state, const bulwark::Request& req, std::string_view username,
                       std::string_view password) {
    auto& throttle = *state.login_throttle;
    const auto decision = throttle.check(req.client_address(), username);
    if (!decision.allowed) {
        // The store failed: refused, not waved through (a lock that opens when Redis is down
        // is no lock), and said honestly as 503.
        if (decision.degraded) return {LoginOutcome::busy, decision.retry_after};
        if (decision.which == bulwark::auth::Throttled::address && decision.first_exceeded)
            log(state, audit::Event::excess_rate_limit_exceeded, req, {}, {{"scope", "login"}});
        return {LoginOutcome::throttled, decision.retry_after};
    }

    auto stored = state.db.one<std::string>("SELECT password_hash FROM users WHERE username = ?", username);
    if (!stored) throw std::runtime_error("user lookup: " + stored.error().diagnostic_for_log());
    const bool known = *stored && !username.empty();
    bool ok = false;
    if (known) {
        auto v = state.hashes->verify_and_rehash(password, **stored);
        if (!v && v.error() == bulwark::password::Error::busy) return busy_outcome();
        // An account with no usable hash (made by an OIDC login, or a refused old scheme)
        // fails as slowly as a wrong password, so the timing does not tell such an account.
        using bulwark::password::Error;
        if (!v && (v.error() == Error::malformed_hash || v.error() == Error::unsupported_scheme ||
                   v.error() == Error::cost_too_high)) {
            if (auto d = state.hashes->verify_dummy(password); !d) return busy_outcome();
        }
        if (v) {
            ok = true;
            if (v->new_hash) store_rehash(state, req, username, **stored, *v->new_hash);
        }
    } else if (auto d = state.hashes->verify_dummy(password); !d) {
        return busy_outcome();
    }

    if (ok) {
        // Ends this account's failure count (another address's attempts at the address limit
        // are counted apart and untouched). A failure to clear it only leaves the count to expire.
        (void)throttle.record_success(username);
        return {LoginOutcome::ok, {}};
    }
    // The name is logged only for an existing account: an unknown "username" is often a
    // password typed into the wrong field.
    const std::string_view user = known ? username : std::string_view();
    auto failure = throttle.record_failure(req.client_address(), username);
    if (!failure) {
        log(state, audit::Event::authn_login_fail, req, user, {{"throttle", "store_unavailable"}});
        return {LoginOutcome::bad_credentials, {}};
    }
    log(state, audit::Event::authn_login_fail, req, user, {{"attempt", failure->count}});
    if (failure->reached_max) log(state, audit::Event::authn_login_fail_max, req, user, {{"attempt", failure->count}});
    if (failure->locked) log(state, audit::Event::authn_login_lock, req, user, {{"attempt", failure->count}});
    return {LoginOutcome::bad_credentials, {}};
}

void set_retry_after(bulwark::Response& r, std::chrono::seconds after) {
    r.headers().set("Retry-After", std::to_string(std::max<std::int64_t>(1, after.count())));
}

}  // namespace reference::detail
