// What the reference app's handlers share: built once by reference::build, captured by every
// handler through a shared_ptr, read-only afterwards (each member is thread-safe itself).
#pragma once

#include <bulwark/account.hpp>
#include <bulwark/apikey.hpp>
#include <bulwark/auth.hpp>
#include <bulwark/config.hpp>
#include <bulwark/db.hpp>
#include <bulwark/http.hpp>
#include <bulwark/jwt.hpp>
#include <bulwark/mail.hpp>
#include <bulwark/password.hpp>
#include <bulwark/pipeline.hpp>
#include <bulwark/ratelimit.hpp>
#include <bulwark/template.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reference::detail {

// EmailVerification (EMAIL_VERIFICATION): off sends no verification mail; optional (the
// default) sends it and lets the user log in meanwhile; required refuses login until verified.
enum class EmailVerification { off, optional, required };
struct AccountRecovery;  // account_recovery.cpp: its own jobs thread and remember-me revoker

struct State {
    explicit State(bulwark::db::Database database) : db(std::move(database)) {}
    // Mail still queued when the app stops (a reset link, a "password changed" notice) gets a
    // bounded wait to go out instead of being dropped with the queue.
    ~State() {
        if (outbox) (void)outbox->flush(kMailFlushOnStop);
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    static constexpr std::chrono::seconds kMailFlushOnStop{5};

    bool production = false;
    bulwark::db::Database db;
    bulwark::pipeline::Services services;
    std::unique_ptr<bulwark::jwt::Manager> tokens;
    std::unique_ptr<bulwark::password::HashPool> hashes;
    std::unique_ptr<bulwark::tmpl::Environment> templates;
    std::unique_ptr<bulwark::apikey::Registry> api_keys;
    std::optional<bulwark::crypto::SecretBytes> webhook_secret;
    std::filesystem::path static_dir;
    std::vector<bulwark::ratelimit::Limit> api_data_limits;
    std::filesystem::path upload_dir;     // <instance>/uploads, 0700, never served directly
    std::size_t max_content_length = 0;   // MAX_CONTENT_LENGTH
    std::string login_rate_limit;  // "5 per minute" (BULWARK_LOGIN_RATE_LIMIT)
    // Both logins: attempts per address and failures per account, counted in the store.
    std::unique_ptr<bulwark::ratelimit::Limiter> login_limiter;
    std::unique_ptr<bulwark::auth::LoginThrottle> login_throttle;
    // Account flows (account_recovery.cpp, setup_account). outbox: mail off the request path
    // (SMTP_URL, or the console in development; null only in production without SMTP_URL,
    // where a start check refuses to start). account_tokens: single-use mailed-link tokens;
    // their user id is the username. Links in mail start with public_url (PUBLIC_URL).
    std::unique_ptr<bulwark::mail::Outbox> outbox;
    std::unique_ptr<bulwark::account::Tokens> account_tokens;
    std::unique_ptr<bulwark::ratelimit::Limiter> account_limiter;  // key prefix "rl-account|"
    std::string mail_from;   // MAIL_FROM
    std::string public_url;  // PUBLIC_URL without a trailing slash
    EmailVerification email_verification = EmailVerification::optional;  // EMAIL_VERIFICATION
    // ACCOUNT_MAIL_RATE_LIMIT (default "3 per hour"): mails per address / per user (reset, resend).
    std::vector<bulwark::ratelimit::Limit> account_mail_limits;
    std::string forgot_rate_limit;  // FORGOT_PASSWORD_RATE_LIMIT, per client address ("10 per hour")
    // Work done off the request path (the reset lookup, so both answers take the same time).
    // Declared last: destroyed (its worker joined) before the members its jobs use.
    std::shared_ptr<AccountRecovery> account_recovery;
};

// The folder holding templates/, static/ and migrations/ (BULWARK_REFERENCE_DIR overrides the
// source folder compiled in, for an installed copy).
std::filesystem::path resource_dir(const bulwark::Config& config);

// json_error answers {"<key>": message} with a status; the message is always our own text.
bulwark::Response json_message(std::string_view key, std::string_view message, int status);

// render fills a template with the user, the CSP nonce and a CSRF token; a template error is
// a 500 (the detail goes to the server log through the exception).
bulwark::Response render(State& state, bulwark::Request& req, std::string_view name,
                         bulwark::tmpl::Map context, int status = 200);

// check_login (login.cpp): throttle, password (dummy for an unknown user), rehash of an out
// of date stored hash, audit events. The caller turns the outcome into its own response.
enum class LoginOutcome { ok, bad_credentials, throttled, busy };
struct LoginCheck {
    LoginOutcome outcome;
    std::chrono::seconds retry_after{0};  // throttled or busy: for Retry-After
};
LoginCheck check_login(State& state, const bulwark::Request& req, std::string_view username,
                       std::string_view password);
void set_retry_after(bulwark::Response& r, std::chrono::seconds after);

// busy answers 503 with Retry-After when the password pool is full.
bulwark::Response busy();

void add_pages(bulwark::App& app, const std::shared_ptr<State>& state);
void add_api(bulwark::App& app, const std::shared_ptr<State>& state);
void add_uploads(bulwark::App& app, const std::shared_ptr<State>& state);
// add_csp_report (csp_report.cpp): POST kCspReportPath, where the CSP's report-uri points.
inline constexpr std::string_view kCspReportPath = "/csp-report";
void add_csp_report(bulwark::App& app, const std::shared_ptr<State>& state);

// add_account_sessions (account_sessions.cpp): GET/POST /login/confirm (re-authentication),
// GET/POST /account/password, GET /account/sessions and its revoke forms.
// ACCOUNT_FRESH_LOGIN_SECONDS (default 900) is read from `config`.
void add_account_sessions(bulwark::App& app, const std::shared_ptr<State>& state, const bulwark::Config& config);

// setup_account (account_recovery.cpp) fills the account members of State; add_account_recovery
// adds /verify-email, /forgot-password and /reset-password.
void setup_account(bulwark::App& app, const bulwark::Config& config, State& state);
void add_account_recovery(bulwark::App& app, const std::shared_ptr<State>& state);
// email_unverified: EMAIL_VERIFICATION=required and the user's address is not verified yet;
// both logins refuse such a user (login.cpp callers), and a fresh link is mailed (rate limited).
bool login_needs_verification(State& state, const bulwark::Request& req, std::string_view username);
// start_email_verification mails a verification link for the address (registration, resend).
void start_email_verification(State& state, const bulwark::Request& req, std::string_view username,
                              std::string_view email);
// request_email_change mails a confirmation link to the new address and a notice to the old
// one; the address changes only when the link is followed (GET /confirm-email/<token>).
void request_email_change(State& state, const bulwark::Request& req, std::string_view username,
                          std::string_view new_email);
// send_mail queues a plain-text mail from MAIL_FROM; false when it could not be queued
// (never blocks, never throws for a bad address).
bool send_mail(State& state, std::string to, std::string subject, std::string body);

// add_oidc_login (oidc_login.cpp): GET /login/oidc and its callback when OIDC_ISSUER is set
// (404 otherwise); OIDC_CA_FILE trusts a private CA for the provider.
void add_oidc_login(bulwark::App& app, const std::shared_ptr<State>& state, const bulwark::Config& config);

// DbKeyRepository keeps API keys (hashes only) in the api_keys table.
std::shared_ptr<bulwark::apikey::Repository> make_key_repository(bulwark::db::Database db);

}  // namespace reference::detail
