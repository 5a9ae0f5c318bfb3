// Account recovery and address flows (issue 13): email verification, forgotten password,
// password reset, email change. Tokens are account::Tokens (single-use, hashed, purpose-bound,
// expiring); mail goes through State::outbox, off the request path.
#include "account_recovery.hpp"

#include <bulwark/form.hpp>

#include <chrono>
#include <stdexcept>
#include <tuple>

namespace reference::detail {

namespace {

namespace audit = bulwark::audit;
namespace bp = bulwark::pipeline;
using bulwark::Request;
using bulwark::Response;

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// AuditContext keeps what a log line needs after the request is gone (jobs run later).
struct AuditContext {
    std::string request_id, client, user;
};

void log_event(State& state, audit::Event event, const AuditContext& c, std::initializer_list<audit::Field> fields = {}) {
    if (state.services.audit) state.services.audit->log(event, {c.request_id, c.client, c.user}, fields);
}
AuditContext context_of(const Request& req, std::string_view user) {
    return {req.request_id(), req.client_address(), std::string(user)};
}

std::string form_field(const Request& req, std::string_view name) {
    auto f = bulwark::form::parse_urlencoded(req.body());
    if (!f) return {};
    return std::string(f->get(name).value_or(""));
}

// no_leak: a page whose URL holds a token is neither cached nor sent on as a Referer.
Response no_leak(Response r) {
    r.headers().set("Cache-Control", "no-store");
    r.headers().set("Referrer-Policy", "no-referrer");
    return r;
}

Response bad_link(State& state, Request& req) {
    return no_leak(render(state, req, "account_notice.html",
                          {{"title", "Link not valid"},
                           {"message", "This link is invalid, has already been used, or has expired. "
                                       "Ask for a new one."}},
                          400));
}

void log_bad_token(State& state, const Request& req, bulwark::account::TokenError e, std::string_view purpose) {
    if (e == bulwark::account::TokenError::database) throw std::runtime_error("account token lookup failed");
    log_event(state, audit::Event::input_validation_fail, context_of(req, {}),
              {{"field", "token"}, {"purpose", purpose}, {"reason", bulwark::account::token_error_name(e)}});
}

struct UserRow {
    std::string email;
    std::optional<std::int64_t> verified_at;
};
std::optional<UserRow> find_user(State& state, std::string_view username) {
    auto row = state.db.one<std::tuple<std::string, std::optional<std::int64_t>>>(
        "SELECT email, email_verified_at FROM users WHERE username = ?", username);
    if (!row) throw std::runtime_error("user lookup: " + row.error().diagnostic_for_log());
    if (!*row) return std::nullopt;
    return UserRow{std::get<0>(**row), std::get<1>(**row)};
}

std::string link(const State& state, std::string_view path, std::string_view token) {
    return state.public_url + std::string(path) + std::string(token);
}

bool mail_allowed(State& state, std::string_view scope, const std::string& key) {
    return state.account_limiter->check(scope, key, state.account_mail_limits).allowed;
}

std::string lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

// ---- email verification ------------------------------------------------------------------

Response verify_email(State& state, Request& req) {
    namespace account = bulwark::account;
    auto used = state.account_tokens->consume(req.param("token"), account::Purpose::verify_email);
    if (!used) {
        log_bad_token(state, req, used.error(), "verify_email");
        return bad_link(state, req);
    }
    // The link verifies the address it was sent to, not whatever the account holds now.
    auto r = state.db.execute(
        "UPDATE users SET email_verified_at = ? WHERE username = ? AND email = ? AND email_verified_at IS NULL",
        now_unix(), used->user_id, used->payload);
    if (!r) throw std::runtime_error("verify email: " + r.error().diagnostic_for_log());
    if (*r == 0) {
        auto user = find_user(state, used->user_id);
        if (!user || user->email != used->payload) return bad_link(state, req);
    } else {
        log_event(state, audit::Event::user_updated, context_of(req, used->user_id), {{"change", "email_verified"}});
    }
    return no_leak(Response::redirect("/login"));
}

Response resend_verification(State& state, Request& req) {
    if (req.identity().empty()) return Response::redirect("/login?next=/");
    const auto& username = req.identity();
    if (!mail_allowed(state, "verify-resend", bulwark::ratelimit::user_key(username))) {
        log_event(state, audit::Event::excess_rate_limit_exceeded, context_of(req, username),
                  {{"scope", "verify_resend"}});
        auto r = render(state, req, "account_notice.html",
                        {{"title", "Too many requests"}, {"message", "Too many verification mails. Try again later."}},
                        429);
        set_retry_after(r, std::chrono::seconds(60));
        return r;
    }
    auto user = find_user(state, username);
    if (user && !user->verified_at && state.email_verification != EmailVerification::off)
        start_email_verification(state, req, username, user->email);
    return Response::redirect("/");
}

// ---- forgotten password ------------------------------------------------------------------

// forgot_job: the lookup, the token and the mail, on the jobs thread. The request has already
// been answered, identically, whether or not the address belongs to an account.
void forgot_job(State& state, const AuditContext& ctx, const std::string& email) {
    namespace account = bulwark::account;
    auto rows = state.db.query_as<std::tuple<std::string, std::string>>(
        "SELECT username, email FROM users WHERE lower(email) = ? ORDER BY id LIMIT 10", lower(email));
    if (!rows) {
        if (state.services.error_log) state.services.error_log(ctx.request_id, "forgot password: " + rows.error().diagnostic_for_log());
        return;
    }
    if (rows->empty()) log_event(state, audit::Event::authn_password_reset_request, ctx, {{"account", "unknown"}});
    for (const auto& [username, address] : *rows) {
        AuditContext c = ctx;
        c.user = username;
        auto issued = state.account_tokens->issue(account::Purpose::reset_password, username);
        if (!issued) {
            if (state.services.error_log)
                state.services.error_log(ctx.request_id, "reset token: " + std::string(account::token_error_name(issued.error())));
            continue;
        }
        const bool queued = send_mail(
            state, address, "Reset your password",
            "Someone (hopefully you) asked to reset the password of the account " + username +
                ".\n\nTo choose a new password, open this link within the hour:\n\n" +
                link(state, "/reset-password/", issued->token) +
                "\n\nIf you did not ask for this, ignore this mail: your password stays as it is.\n");
        log_event(state, audit::Event::authn_password_reset_request, c, {{"mail", queued ? "queued" : "not_queued"}});
    }
}

Response forgot_form(State& state, Request& req, bulwark::tmpl::Map extra = {}, int status = 200) {
    return render(state, req, "forgot_password.html", std::move(extra), status);
}

Response forgot_password(State& state, Request& req) {
    const auto email = form_field(req, "email");
    if (!bulwark::form::is_valid_email(email))
        return forgot_form(state, req, {{"error", "Enter a valid email address."}}, 400);
    // Counted per address whether or not an account has it, so a 429 says nothing either.
    if (!mail_allowed(state, "forgot-password", bulwark::ratelimit::custom_key("email", lower(email)))) {
        log_event(state, audit::Event::excess_rate_limit_exceeded, context_of(req, {}), {{"scope", "forgot_password"}});
        auto r = forgot_form(state, req, {{"error", "Too many reset requests. Try again later."}}, 429);
        set_retry_after(r, std::chrono::seconds(60));
        return r;
    }
    State* s = &state;
    const bool posted = state.account_recovery->jobs.post([s, ctx = context_of(req, {}), email] { forgot_job(*s, ctx, email); });
    if (!posted && state.services.error_log) state.services.error_log(req.request_id(), "forgot password: job queue full");
    return forgot_form(state, req, {{"sent", true}});
}

// ---- reset -------------------------------------------------------------------------------

Response reset_form(State& state, Request& req, bulwark::tmpl::Map extra = {}, int status = 200) {
    extra["token"] = std::string(req.param("token"));
    return no_leak(render(state, req, "reset_password.html", std::move(extra), status));
}

Response show_reset(State& state, Request& req) {
    auto ok = state.account_tokens->peek(req.param("token"), bulwark::account::Purpose::reset_password);
    if (!ok) {
        log_bad_token(state, req, ok.error(), "reset_password");
        return bad_link(state, req);
    }
    return reset_form(state, req);
}

Response reset_password(State& state, Request& req) {
    namespace account = bulwark::account;
    const auto token = std::string(req.param("token"));
    auto who = state.account_tokens->peek(token, account::Purpose::reset_password);
    if (!who) {
        log_bad_token(state, req, who.error(), "reset_password");
        return bad_link(state, req);
    }
    const auto& username = who->user_id;
    auto user = find_user(state, username);
    if (!user) return bad_link(state, req);
    const auto password = form_field(req, "password");
    auto problems = bulwark::password::check_policy(password, {.username = username, .email = user->email});
    if (!problems.empty()) {
        log_event(state, audit::Event::authn_password_change_fail, context_of(req, username), {{"reason", "policy"}});
        bulwark::tmpl::List errors;
        for (auto& p : problems) errors.emplace_back(std::move(p));
        bulwark::tmpl::Map extra;
        extra.emplace("errors", bulwark::tmpl::Value(std::move(errors)));
        return reset_form(state, req, std::move(extra), 400);
    }
    auto hash = state.hashes->hash(password);
    if (!hash) {
        if (hash.error() == bulwark::password::Error::busy) return busy();
        throw std::runtime_error("password hash failed");
    }
    {
        // The token goes and the password changes in one transaction: a failure between the two
        // leaves the link usable and the old password in place, never a used link and no change.
        auto tx = state.db.transaction();
        if (!tx) throw std::runtime_error("reset: " + tx.error().diagnostic_for_log());
        auto used = state.account_tokens->consume(token, account::Purpose::reset_password, username);
        if (!used) {
            log_bad_token(state, req, used.error(), "reset_password");
            return bad_link(state, req);
        }
        auto r = state.db.execute("UPDATE users SET password_hash = ? WHERE username = ?", *hash, username);
        if (!r) throw std::runtime_error("reset: " + r.error().diagnostic_for_log());
        if (auto c = tx->commit(); !c) throw std::runtime_error("reset commit: " + c.error().diagnostic_for_log());
    }
    // Whoever knew the old password (or held a session) is out: every session of the user ends.
    // Other reset links died with the old hash (account::Tokens binds them to it).
    if (state.services.sessions) {
        if (auto ended = state.services.sessions->end_all_for_user(username); !ended && state.services.error_log)
            state.services.error_log(req.request_id(), "reset: ending sessions failed");
    }
    if (req.identity() == username) bp::session(req).destroy();
    if (!state.account_recovery->remember->revoke_all(username) && state.services.error_log)
        state.services.error_log(req.request_id(), "reset: revoking remember-me tokens failed");
    (void)state.account_tokens->revoke_all(username, account::Purpose::reset_password);
    log_event(state, audit::Event::authn_password_change, context_of(req, username), {{"via", "reset"}});
    (void)send_mail(state, user->email, "Your password was changed",
                    "The password of the account " + username +
                        " was just changed through a reset link, and every session of the account was ended.\n\n"
                        "If this was not you, reset your password again at " +
                        state.public_url + "/forgot-password and tell us.\n");
    return no_leak(Response::redirect("/login"));
}

// ---- email change ------------------------------------------------------------------------

Response confirm_email(State& state, Request& req) {
    namespace account = bulwark::account;
    auto used = state.account_tokens->consume(req.param("token"), account::Purpose::change_email);
    if (!used) {
        log_bad_token(state, req, used.error(), "change_email");
        return bad_link(state, req);
    }
    auto before = find_user(state, used->user_id);
    if (!before) return bad_link(state, req);
    // Following the link proves the new address works, so it is verified too.
    auto r = state.db.execute("UPDATE users SET email = ?, email_verified_at = ? WHERE username = ?", used->payload,
                              now_unix(), used->user_id);
    if (!r) throw std::runtime_error("confirm email: " + r.error().diagnostic_for_log());
    (void)state.account_tokens->revoke_all(used->user_id, account::Purpose::verify_email);
    log_event(state, audit::Event::user_updated, context_of(req, used->user_id), {{"change", "email"}});
    if (before->email != used->payload)
        (void)send_mail(state, before->email, "Your email address was changed",
                        "The email address of the account " + used->user_id +
                            " was changed to a new one. If this was not you, reset your password at " +
                            state.public_url + "/forgot-password at once.\n");
    return no_leak(Response::redirect("/"));
}

}  // namespace

// ---- shared with pages.cpp / api.cpp -----------------------------------------------------

void start_email_verification(State& state, const Request& req, std::string_view username, std::string_view email) {
    namespace account = bulwark::account;
    if (state.email_verification == EmailVerification::off) return;
    auto issued = state.account_tokens->issue(account::Purpose::verify_email, username, email);
    if (!issued) {
        if (state.services.error_log)
            state.services.error_log(req.request_id(), "verify token: " + std::string(account::token_error_name(issued.error())));
        return;
    }
    (void)send_mail(state, std::string(email), "Confirm your email address",
                    "Welcome, " + std::string(username) + ".\n\nTo confirm this address, open this link within a day:\n\n" +
                        link(state, "/verify-email/", issued->token) +
                        "\n\nIf you did not make an account, ignore this mail.\n");
}

bool login_needs_verification(State& state, const Request& req, std::string_view username) {
    if (state.email_verification != EmailVerification::required) return false;
    auto user = find_user(state, username);
    if (!user || user->verified_at) return false;
    log_event(state, audit::Event::authz_fail, context_of(req, username), {{"reason", "email_not_verified"}});
    if (mail_allowed(state, "verify-resend", bulwark::ratelimit::user_key(username)))
        start_email_verification(state, req, username, user->email);
    return true;
}

void request_email_change(State& state, const Request& req, std::string_view username, std::string_view new_email) {
    namespace account = bulwark::account;
    auto user = find_user(state, username);
    if (!user || user->email == new_email) return;
    auto issued = state.account_tokens->issue(account::Purpose::change_email, username, new_email);
    if (!issued) throw std::runtime_error("email change token: " + std::string(account::token_error_name(issued.error())));
    (void)send_mail(state, std::string(new_email), "Confirm your new email address",
                    "To make this the address of the account " + std::string(username) +
                        ", open this link within a day:\n\n" + link(state, "/confirm-email/", issued->token) +
                        "\n\nIf you did not ask for this, ignore this mail.\n");
    (void)send_mail(state, user->email, "A change of your email address was requested",
                    "Someone logged in to the account " + std::string(username) +
                        " asked to change its email address. It changes only when the link sent to the new "
                        "address is followed.\n\nIf this was not you, reset your password at " +
                        state.public_url + "/forgot-password at once.\n");
    log_event(state, audit::Event::user_updated, context_of(req, username), {{"change", "email_change_requested"}});
}

void add_account_recovery(bulwark::App& app, const std::shared_ptr<State>& state) {
    auto s = state;
    app.get("/verify-email/<token>", [s](Request& req) { return verify_email(*s, req); }).name("verify-email");
    app.post("/verify-email/resend", [s](Request& req) { return resend_verification(*s, req); })
        .name("verify-email-resend");
    app.get("/forgot-password", [s](Request& req) { return forgot_form(*s, req); }).name("forgot-password-form");
    app.post("/forgot-password", [s](Request& req) { return forgot_password(*s, req); })
        .name("forgot-password")
        .rate_limit(s->forgot_rate_limit);
    app.get("/reset-password/<token>", [s](Request& req) { return show_reset(*s, req); }).name("reset-password-form");
    app.post("/reset-password/<token>", [s](Request& req) { return reset_password(*s, req); })
        .name("reset-password")
        .rate_limit(s->forgot_rate_limit);
    app.get("/confirm-email/<token>", [s](Request& req) { return confirm_email(*s, req); }).name("confirm-email");
}

}  // namespace reference::detail

