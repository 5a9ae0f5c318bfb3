// Account flows' set-up (issue 13): EMAIL_VERIFICATION, the mail Outbox (SMTP_URL, or the
// console in development; production without SMTP_URL refuses to start), PUBLIC_URL for links,
// the account tokens, their rate limits, and an access log that never writes a token.
#include "account_recovery.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace reference::detail {

namespace mail = bulwark::mail;
namespace account = bulwark::account;

namespace {

EmailVerification parse_email_verification(std::string_view v) {
    if (v == "off") return EmailVerification::off;
    if (v == "optional") return EmailVerification::optional;
    if (v == "required") return EmailVerification::required;
    throw std::invalid_argument("EMAIL_VERIFICATION must be off, optional or required");
}

// redact_token_path: the path with a mailed link's token replaced, for the access log (the
// contract puts tokens in the path: /reset-password/<token>).
std::string_view redact_token_path(std::string_view path) {
    struct Redaction {
        std::string_view prefix;
        std::string_view redacted;
    };
    static constexpr Redaction kRedactions[] = {
        {"/reset-password/", "/reset-password/[token]"},
        {"/verify-email/", "/verify-email/[token]"},
        {"/confirm-email/", "/confirm-email/[token]"},
    };
    for (const auto& r : kRedactions) {
        if (path.starts_with(r.prefix) && path != "/verify-email/resend") return r.redacted;
    }
    return path;
}

}  // namespace

void setup_account(bulwark::App& app, const bulwark::Config& config, State& state) {
    // The default access log writes each path; a token must never reach a log, so this one (the
    // same format) writes the links' paths without it.
    app.set_access_log([](const bulwark::AccessLogLine& line) {
        auto redacted = line;
        redacted.path = redact_token_path(line.path);
        bulwark::write_access_log_line(stderr, redacted);
    });
    state.email_verification = parse_email_verification(config.get("EMAIL_VERIFICATION").value_or("optional"));
    state.mail_from = config.get("MAIL_FROM").value_or("Bulwark reference <noreply@localhost>");
    if (!mail::parse_mailbox(state.mail_from)) throw std::invalid_argument("MAIL_FROM is not a valid address");
    // Links in mail are built from PUBLIC_URL, never from the request's Host header (a forged
    // Host would otherwise send a victim's reset link to the attacker's site).
    state.public_url = config.get("PUBLIC_URL").value_or("");
    if (state.public_url.empty()) state.public_url = "http://127.0.0.1:" + std::to_string(config.port);
    while (!state.public_url.empty() && state.public_url.back() == '/') state.public_url.pop_back();
    if (config.is_production() && state.public_url.rfind("https://", 0) != 0)
        app.add_start_check([](const bulwark::App&) {
            throw std::invalid_argument("PUBLIC_URL must be set to the site's https:// address in production "
                                        "(links in account mail are built from it)");
        });

    std::shared_ptr<mail::Backend> backend;
    const auto smtp_url = config.get("SMTP_URL").value_or("");
    if (!smtp_url.empty()) {
        backend = std::make_shared<mail::SmtpBackend>(mail::SmtpConfig{.url = smtp_url});
    } else if (config.is_production()) {
        // No console mail in production: refuse to start with a clear reason.
        app.add_start_check([](const bulwark::App&) {
            throw std::invalid_argument("SMTP_URL is not set: production sends account mail (address "
                                        "verification, password reset) through SMTP, e.g. "
                                        "SMTP_URL=smtp://mail.example.com:587");
        });
    } else {
        backend = std::make_shared<mail::LogBackend>(mail::Environment::development);
    }
    if (backend) {
        auto error_log = state.services.error_log;
        state.outbox = std::make_unique<mail::Outbox>(
            backend, mail::OutboxOptions{.on_give_up = [error_log](const mail::Message&, mail::SendError e) {
                if (error_log) error_log("-", "mail: gave up: " + std::string(mail::send_error_name(e)));
            }});
    }

    auto db = state.db;
    auto error_log = state.services.error_log;
    state.account_tokens = std::make_unique<account::Tokens>(
        state.db, config.key_ring().subkeys(bulwark::crypto::Purpose::account_token),
        account::Options{
            .password_hash_of = [db](std::string_view username) mutable {
                return db.one<std::string>("SELECT password_hash FROM users WHERE username = ?", username);
            },
            .error_log = [error_log](std::string_view d) {
                if (error_log) error_log("-", d);
            },
        });

    bulwark::ratelimit::Config limits;
    limits.key_prefix = "rl-account|";
    state.account_limiter = std::make_unique<bulwark::ratelimit::Limiter>(state.services.store, limits);
    state.account_mail_limits =
        bulwark::ratelimit::parse_or_throw(config.get("ACCOUNT_MAIL_RATE_LIMIT").value_or("3 per hour"));
    state.forgot_rate_limit = config.get("FORGOT_PASSWORD_RATE_LIMIT").value_or("10 per hour");
    bulwark::ratelimit::parse_or_throw(state.forgot_rate_limit);
    state.account_recovery = std::make_shared<AccountRecovery>(std::make_unique<bulwark::auth::RememberMe>(
        state.services.store, config.key_ring(), bulwark::auth::RememberOptions{.production = config.is_production()}));
}

bool send_mail(State& state, std::string to, std::string subject, std::string body) {
    if (!state.outbox) return false;
    return state.outbox->send_async(
        {.from = state.mail_from, .to = std::move(to), .subject = std::move(subject), .text_body = std::move(body)});
}


}  // namespace reference::detail
