// The account pages of issue 13: password change, the re-authentication it needs, and the
// list of the user's sessions with "log out this one" / "log out all others".
//
// Why each step is there (OWASP Authentication and Session Management Cheat Sheets):
// - Changing the password needs a fresh login (auth::is_fresh: a password typed within
//   ACCOUNT_FRESH_LOGIN_SECONDS, 15 minutes by default) AND the current password, so a
//   session cookie left in a shared browser or stolen cannot take the account over. A stale
//   login goes to GET /login/confirm, which asks for the password again, throttled like a login.
// - A wrong current password counts against the login throttle of the account and the
//   address: a stolen session must not become an unthrottled password oracle.
// - After the change every other session of the user ends (session::Manager::end_all_for_user)
//   and so does every remember-me token; this session gets a new id.
// - The sessions page names sessions by their public handle, never by the cookie's id; a
//   handle that is not one of the user's own answers the generic 404, whoever it belongs to.
// Every POST here passes the pipeline's CSRF check before the handler runs.
#include "app_state.hpp"

#include <bulwark/form.hpp>

#include <chrono>
#include <ctime>
#include <string>

namespace reference::detail {
namespace {

namespace audit = bulwark::audit;
namespace auth = bulwark::auth;
namespace bp = bulwark::pipeline;
using bulwark::Request;
using bulwark::Response;

constexpr std::string_view kPasswordPath = "/account/password";
constexpr std::string_view kSessionsPath = "/account/sessions";
constexpr std::string_view kConfirmPath = "/login/confirm";

struct Account {
    std::shared_ptr<State> state;
    std::chrono::seconds fresh_for{15 * 60};
    // The app issues no remember-me cookies yet; tokens under auth's default options (the
    // ones a remember-me login would use) are still revoked, so adding one later cannot
    // leave a cookie alive across a password change.
    std::unique_ptr<auth::RememberMe> remember;
};

void log(State& state, audit::Event event, const Request& req, std::initializer_list<audit::Field> fields = {}) {
    if (state.services.audit)
        state.services.audit->log(event, {req.request_id(), req.client_address(), req.identity()}, fields);
}

std::string field(const std::optional<bulwark::form::MultiDict>& f, std::string_view name) {
    return f ? std::string(f->get(name).value_or("")) : std::string();
}

std::optional<bulwark::form::MultiDict> form_of(const Request& req) {
    auto fields = bulwark::form::parse_urlencoded(req.body());
    if (!fields) return std::nullopt;
    return std::move(*fields);
}

// login_first: the 303 to /login?next=... an anonymous visitor gets, or nullopt when logged in.
std::optional<Response> login_first(const Request& req) {
    auto d = auth::login_required(auth::RequestKind::html, req.path(), !req.identity().empty());
    if (d.allowed()) return std::nullopt;
    return Response::redirect(d.location);
}

// confirm_first: the 303 to the re-authentication page for a login that is not fresh.
std::optional<Response> confirm_first(const Account& a, Request& req, std::string_view back_to) {
    if (auth::is_fresh(bp::session(req), a.fresh_for)) return std::nullopt;
    return Response::redirect(std::string(kConfirmPath) + "?next=" + std::string(back_to));
}

std::string utc_text(bulwark::session::TimePoint t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    return std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) ? std::string(buf) : std::string();
}

// ---- re-authentication -------------------------------------------------------------------

Response confirm_form(State& state, Request& req, std::string_view next, std::string_view error = {},
                      int status = 200) {
    bulwark::tmpl::Map context{{"next", next}};
    if (!error.empty()) context["error"] = error;
    return render(state, req, "account_confirm.html", std::move(context), status);
}

Response confirm(State& state, Request& req) {
    if (auto r = login_first(req)) return *r;
    const auto f = form_of(req);
    const auto next = auth::safe_next(field(f, "next")).value_or("/");
    // The same check as POST /login: throttles, audit events, rehash of an old hash.
    const auto check = check_login(state, req, req.identity(), field(f, "password"));
    switch (check.outcome) {
    case LoginOutcome::ok: break;
    case LoginOutcome::busy: {
        auto r = busy();
        set_retry_after(r, check.retry_after);
        return r;
    }
    case LoginOutcome::throttled: {
        auto r = confirm_form(state, req, next, "Too many attempts. Try again later.", 429);
        set_retry_after(r, check.retry_after);
        return r;
    }
    case LoginOutcome::bad_credentials: return confirm_form(state, req, next, "Invalid credentials", 401);
    }
    // login_user again: fresh, with a new session id (a privilege change).
    auto& session = bp::session(req);
    auth::login_user(session, req.identity(), auth::Fresh::yes, auth::auth_epoch(session));
    log(state, audit::Event::authn_login_success, req, {{"step", "reauthenticate"}});
    return Response::redirect(next);
}

// ---- password change ---------------------------------------------------------------------

// password_form: the form, with each field's messages (both keys always there, possibly empty).
Response password_form(State& state, Request& req, bulwark::tmpl::Map errors = {}, int status = 200) {
    for (const char* key : {"current_password", "new_password"})
        if (!errors.contains(key)) errors[key] = bulwark::tmpl::List{};
    return render(state, req, "account_password.html", {{"errors", std::move(errors)}}, status);
}

bulwark::tmpl::List as_list(std::vector<std::string> messages) {
    bulwark::tmpl::List out;
    for (auto& m : messages) out.emplace_back(std::move(m));
    return out;
}

struct Stored {
    std::string hash;
    std::string email;
};

Stored stored_account(State& state, std::string_view username) {
    auto rows = state.db.query("SELECT password_hash, email FROM users WHERE username = ?", username);
    if (!rows) throw std::runtime_error("account lookup: " + rows.error().diagnostic_for_log());
    if (rows->empty()) throw bulwark::HttpError(404, "Not Found");  // deleted meanwhile
    return {(*rows)[0].get<std::string>("password_hash"), (*rows)[0].get<std::string>("email")};
}

Response change_password(Account& a, Request& req) {
    State& state = *a.state;
    if (auto r = login_first(req)) return *r;
    if (auto r = confirm_first(a, req, kPasswordPath)) return *r;
    const std::string user = req.identity();
    const auto f = form_of(req);
    const auto current = field(f, "current_password");
    const auto wanted = field(f, "new_password");

    // The current password: throttled as a login is, so a stolen fresh session cannot guess it.
    auto& throttle = *state.login_throttle;
    const auto decision = throttle.check(req.client_address(), user);
    if (!decision.allowed) {
        if (decision.degraded) return busy();
        log(state, audit::Event::authn_password_change_fail, req, {{"reason", "throttled"}});
        auto r = password_form(state, req, {{"current_password", bulwark::tmpl::List{"Too many attempts. Try again later."}}}, 429);
        set_retry_after(r, decision.retry_after);
        return r;
    }
    const Stored stored = stored_account(state, user);
    auto verified = state.hashes->verify(current, stored.hash);
    if (!verified && verified.error() == bulwark::password::Error::busy) return busy();

    bulwark::tmpl::Map errors;
    if (!verified) {
        (void)throttle.record_failure(req.client_address(), user);
        log(state, audit::Event::authn_password_change_fail, req, {{"reason", "wrong_current_password"}});
        errors["current_password"] = bulwark::tmpl::List{"The current password is wrong."};
        return password_form(state, req, std::move(errors), 400);
    }
    (void)throttle.record_success(user);
    auto problems = bulwark::password::check_policy(wanted, {.username = user, .email = stored.email});
    if (problems.empty() && wanted == current) problems.emplace_back("The new password must differ from the current one.");
    if (!problems.empty()) {
        log(state, audit::Event::authn_password_change_fail, req, {{"reason", "policy"}});
        errors["new_password"] = as_list(std::move(problems));
        return password_form(state, req, std::move(errors), 400);
    }

    auto hash = state.hashes->hash(wanted);
    if (!hash) {
        if (hash.error() == bulwark::password::Error::busy) return busy();
        throw std::runtime_error("password hash failed");
    }
    // Only over the hash just verified: a change racing this one (another tab, a reset link)
    // is not silently overwritten.
    auto changed = state.db.execute("UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                                    *hash, user, stored.hash);
    if (!changed) throw std::runtime_error("password update: " + changed.error().diagnostic_for_log());
    if (*changed != 1) {
        log(state, audit::Event::authn_password_change_fail, req, {{"reason", "changed_meanwhile"}});
        errors["current_password"] = bulwark::tmpl::List{"The password was changed meanwhile; try again."};
        return password_form(state, req, std::move(errors), 400);
    }

    // Everything else that proves this login ends; this session stays, with a new id.
    auto& session = bp::session(req);
    std::int64_t ended = 0;
    if (auto e = state.services.sessions->end_all_for_user(user, &session)) {
        ended = static_cast<std::int64_t>(*e);
    } else if (state.services.error_log) {
        state.services.error_log(req.request_id(), "password change: ending other sessions failed");
    }
    session.rotate();
    if (a.remember && !a.remember->revoke_all(user) && state.services.error_log)
        state.services.error_log(req.request_id(), "password change: revoking remember-me tokens failed");
    log(state, audit::Event::authn_password_change, req, {{"sessions_ended", ended}});
    // The owner hears of it even when it was not them (a hijacked fresh session). Queued, so
    // a slow mail server never slows this answer; a failure to queue costs the notice only.
    (void)send_mail(state, stored.email, "Your password was changed",
                    "The password of the account " + user +
                        " was just changed from its account page, and every other session of the account was "
                        "ended.\n\nIf this was not you, reset your password at " +
                        state.public_url + "/forgot-password at once.\n");
    return Response::redirect("/");
}

// ---- sessions ----------------------------------------------------------------------------

Response sessions_page(State& state, Request& req) {
    if (auto r = login_first(req)) return *r;
    auto list = state.services.sessions->list_for_user(req.identity());
    if (!list) throw std::runtime_error("session list: store unavailable");
    const std::string& mine = bp::session(req).handle();
    bulwark::tmpl::List items;
    for (const auto& s : *list)
        items.push_back(bulwark::tmpl::Map{{"handle", s.handle},
                                           {"created", utc_text(s.created_at)},
                                           {"last_seen", utc_text(s.last_seen)},
                                           {"address", s.address},
                                           {"user_agent", s.user_agent},
                                           {"current", !mine.empty() && s.handle == mine}});
    return render(state, req, "account_sessions.html", {{"sessions", std::move(items)}});
}

Response revoke_one(State& state, Request& req) {
    if (auto r = login_first(req)) return *r;
    const std::string handle(req.param("id"));
    auto& session = bp::session(req);
    if (!handle.empty() && handle == session.handle()) {
        // "Log out this one" on the current session: a logout, record and cookie gone.
        log(state, audit::Event::authn_token_revoked, req, {{"token", "session"}, {"which", "current"}});
        session.destroy();
        bp::mark_logout(req);
        return Response::redirect("/");
    }
    auto revoked = state.services.sessions->revoke(req.identity(), handle);
    if (!revoked) throw std::runtime_error("session revoke: store unavailable");
    // Not one of this user's: the generic 404, the same for someone else's and for none.
    if (!*revoked) throw bulwark::HttpError(404, "Not Found");
    log(state, audit::Event::authn_token_revoked, req, {{"token", "session"}, {"which", "one"}});
    return Response::redirect(std::string(kSessionsPath));
}

Response revoke_others(State& state, Request& req) {
    if (auto r = login_first(req)) return *r;
    auto& session = bp::session(req);
    auto ended = state.services.sessions->end_all_for_user(req.identity(), &session);
    if (!ended) throw std::runtime_error("session revoke: store unavailable");
    log(state, audit::Event::authn_token_revoked, req,
        {{"token", "session"}, {"which", "others"}, {"count", static_cast<std::int64_t>(*ended)}});
    return Response::redirect(std::string(kSessionsPath));
}

}  // namespace

void add_account_sessions(bulwark::App& app, const std::shared_ptr<State>& state, const bulwark::Config& config) {
    auto a = std::make_shared<Account>();
    a->state = state;
    a->remember = std::make_unique<auth::RememberMe>(
        state->services.store, config.key_ring(), auth::RememberOptions{.production = config.is_production()});
    // ACCOUNT_FRESH_LOGIN_SECONDS: how long after a password was typed it counts as fresh.
    if (auto v = config.get("ACCOUNT_FRESH_LOGIN_SECONDS"); v && !v->empty()) {
        std::size_t used = 0;
        long long secs = -1;
        try {
            secs = std::stoll(*v, &used);
        } catch (const std::exception&) {
        }
        if (used != v->size() || secs < 1 || secs > 24 * 3600)
            throw std::invalid_argument("ACCOUNT_FRESH_LOGIN_SECONDS must be a whole number of seconds, 1 to 86400");
        a->fresh_for = std::chrono::seconds(secs);
    }
    auto s = state;
    app.get(kConfirmPath, [s](Request& req) {
        if (auto r = login_first(req)) return *r;
        return confirm_form(*s, req, auth::safe_next(req.query("next").value_or("/")).value_or("/"));
    }).name("login-confirm-form");
    app.post(kConfirmPath, [s](Request& req) { return confirm(*s, req); })
        .name("login-confirm")
        .rate_limit(s->login_rate_limit);
    app.get(kPasswordPath, [a](Request& req) {
        if (auto r = login_first(req)) return *r;
        if (auto r = confirm_first(*a, req, kPasswordPath)) return *r;
        return password_form(*a->state, req);
    }).name("account-password-form");
    app.post(kPasswordPath, [a](Request& req) { return change_password(*a, req); })
        .name("account-password")
        .rate_limit(s->login_rate_limit);
    app.get(kSessionsPath, [s](Request& req) { return sessions_page(*s, req); })
        .name("account-sessions");
    app.post("/account/sessions/revoke-others", [s](Request& req) { return revoke_others(*s, req); })
        .name("account-sessions-revoke-others");
    app.post("/account/sessions/<id>/revoke", [s](Request& req) { return revoke_one(*s, req); })
        .name("account-sessions-revoke");
}

}  // namespace reference::detail
