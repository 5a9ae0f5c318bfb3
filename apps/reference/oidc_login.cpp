// OpenID Connect login (GET /login/oidc, GET /login/oidc/callback) with bulwark::oidc.
//
// Account linking, the rule that keeps it from being hijacked:
//   - an (issuer, subject) already linked logs in to its account; if someone else is logged
//     in at the time, the callback is refused (400) rather than switching accounts silently;
//   - a new (issuer, subject) is linked to an existing account only when that account is
//     logged in during the callback (the user proved both);
//   - otherwise a new account is made. Never by email: a provider's email claim, verified or
//     not, is not proof of owning the local account with that address.
// The new account's username is "oidc_" + the first 15 hex digits of SHA-256(issuer "\n"
// subject): stable, within the register form's rule (3-20 of [A-Za-z0-9_]), free of anything
// the provider chose (its preferred_username could imitate a local user). It has no password
// (an unusable hash marker), so it logs in only through the provider until one is set.
#include "app_state.hpp"

#include <bulwark/oidc.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <stdexcept>

namespace reference::detail {
namespace {

namespace audit = bulwark::audit;
namespace bp = bulwark::pipeline;
namespace oidc = bulwark::oidc;
using bulwark::Request;
using bulwark::Response;

constexpr std::string_view kPendingKey = "oidc_login";
constexpr std::string_view kCallbackPath = "/login/oidc/callback";
// kNoPassword never matches a password: not a hash of any scheme (password::verify says
// malformed_hash), so the password login refuses it.
constexpr std::string_view kNoPassword = "!oidc-no-password";

struct OidcSetup {
    std::shared_ptr<oidc::Client> client;
    bool derive_redirect = false;  // development without OIDC_REDIRECT_URI
};

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void log(State& state, audit::Event event, const Request& req, std::string_view user,
         std::initializer_list<audit::Field> fields) {
    if (state.services.audit) state.services.audit->log(event, {req.request_id(), req.client_address(), user}, fields);
}

// redirect_uri: OIDC_REDIRECT_URI, or in development http://<Host>/login/oidc/callback. The
// provider checks it against its registered list, so a forged Host gets nowhere there.
std::optional<std::string> redirect_uri(const OidcSetup& setup, const Request& req) {
    if (!setup.derive_redirect) return std::string();  // the client's configured one
    const auto host = req.header("Host");
    if (!host || host->empty() || host->size() > 255) return std::nullopt;
    for (char c : *host)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '[' || c == ']'))
            return std::nullopt;
    return "http://" + std::string(*host) + std::string(kCallbackPath);
}

std::string username_for(const oidc::Identity& who) {
    const std::string key = who.issuer + "\n" + who.subject;
    const auto digest = bulwark::crypto::sha256(bulwark::crypto::as_bytes(key));
    return "oidc_" + bulwark::crypto::hex_encode(bulwark::crypto::ByteView(digest.data(), digest.size())).substr(0, 15);
}

Response bad_request(std::string_view message) { return json_message("error", message, 400); }

Response start(State& state, const OidcSetup& setup, Request& req) {
    const auto uri = redirect_uri(setup, req);
    if (!uri) return bad_request("Bad Host header");
    auto begun = setup.client->begin(*uri);
    if (!begun) {
        if (state.services.error_log)
            state.services.error_log(req.request_id(), "oidc: " + std::string(oidc::error_name(begun.error())));
        return json_message("error", "The identity provider is unavailable", 502);
    }
    // The secrets stay here, server-side; the browser carries only the state in the URL.
    bp::session(req).set(kPendingKey, oidc::to_json(begun->pending));
    return Response::redirect(std::move(begun->url));
}

// find_linked: the username of the account linked to (issuer, subject), if any.
std::optional<std::string> find_linked(State& state, const oidc::Identity& who) {
    auto user = state.db.one<std::string>(
        "SELECT u.username FROM oidc_identities i JOIN users u ON u.id = i.user_id "
        "WHERE i.issuer = ? AND i.subject = ?",
        who.issuer, who.subject);
    if (!user) throw std::runtime_error("oidc identity lookup: " + user.error().diagnostic_for_log());
    return *user;
}

void link(State& state, const oidc::Identity& who, std::string_view username) {
    auto r = state.db.execute(
        "INSERT INTO oidc_identities (issuer, subject, user_id, created_at) "
        "SELECT ?, ?, id, ? FROM users WHERE username = ?",
        who.issuer, who.subject, now_unix(), username);
    if (!r) throw std::runtime_error("oidc link: " + r.error().diagnostic_for_log());
}

// create_account: a new user and its link in one transaction (no account without its link).
std::string create_account(State& state, const oidc::Identity& who) {
    const auto username = username_for(who);
    auto tx = state.db.transaction();
    if (!tx) throw std::runtime_error("oidc account: " + tx.error().diagnostic_for_log());
    const std::string email = who.email_verified && who.email.size() <= 254 ? who.email : std::string();
    auto id = state.db.insert_returning_id(
        "INSERT INTO users (username, email, age, password_hash, created_at) VALUES (?, ?, NULL, ?, ?) RETURNING id",
        username, email, std::string(kNoPassword), now_unix());
    if (!id) throw std::runtime_error("oidc account: " + id.error().diagnostic_for_log());
    link(state, who, username);
    if (auto c = tx->commit(); !c) throw std::runtime_error("oidc account: " + c.error().diagnostic_for_log());
    return username;
}

Response callback(State& state, const OidcSetup& setup, Request& req) {
    auto& session = bp::session(req);
    // Single use: the pending login leaves the session before anything is checked, so a
    // replayed callback (same state, same code) finds nothing.
    std::optional<oidc::PendingLogin> pending;
    if (const auto* stored = session.get(kPendingKey)) pending = oidc::pending_from_json(*stored);
    session.erase(kPendingKey);
    const auto fail = [&](std::string_view reason) {
        log(state, audit::Event::authn_login_fail, req, {}, {{"method", "oidc"}, {"reason", reason}});
        return bad_request("OpenID Connect login failed");
    };
    if (!pending) return fail("no_pending_login");
    if (req.query("error")) return fail("provider_error");
    auto who = setup.client->finish(*pending, req.query("state").value_or(""), req.query("code").value_or(""));
    if (!who) return fail(oidc::error_name(who.error()));

    const std::string current = req.identity();
    std::string username;
    if (auto linked = find_linked(state, *who)) {
        // Logged in as someone else: refuse rather than switch accounts under the user.
        if (!current.empty() && *linked != current) return fail("identity_linked_to_another_account");
        username = *linked;
    } else if (!current.empty()) {
        link(state, *who, current);
        username = current;
        log(state, audit::Event::user_updated, req, current, {{"oidc_linked", "true"}});
    } else {
        username = create_account(state, *who);
        log(state, audit::Event::user_created, req, username, {{"method", "oidc"}});
    }
    session.bind_user(username);  // a new session id: no fixation across the login
    session.rotate();
    req.set_identity(username);
    log(state, audit::Event::authn_login_success, req, username, {{"method", "oidc"}});
    return Response::redirect("/");
}

}  // namespace

void add_oidc_login(bulwark::App& app, const std::shared_ptr<State>& state, const bulwark::Config& config) {
    auto setup = std::make_shared<OidcSetup>();
    if (config.oidc_issuer) {
        if (!config.oidc_redirect_uri && config.is_production())
            throw std::invalid_argument("OIDC_REDIRECT_URI is required in production");
        oidc::Config c;
        c.issuer = *config.oidc_issuer;
        c.client_id = config.oidc_client_id.value_or("");
        if (config.oidc_client_secret) c.client_secret = *config.oidc_client_secret;
        c.redirect_uri = config.oidc_redirect_uri.value_or("");
        setup->derive_redirect = !config.oidc_redirect_uri;
        // OIDC_CA_FILE: a CA bundle for a provider under a private CA (the tests' own CA).
        c.ca_file = config.get("OIDC_CA_FILE").value_or("");
        if (!config.is_production() && config.get("OIDC_ALLOW_INSECURE_LOOPBACK_HTTP").value_or("") == "1")
            c.insecure_http = oidc::InsecureHttp::allow_loopback_for_testing;
        setup->client = std::make_shared<oidc::Client>(std::move(c));
    }
    auto s = state;
    app.get("/login/oidc", [s, setup](Request& req) {
        if (!setup->client) throw bulwark::HttpError(404, "Not Found");
        return start(*s, *setup, req);
    }).name("login-oidc");
    app.get(std::string(kCallbackPath), [s, setup](Request& req) {
        if (!setup->client) throw bulwark::HttpError(404, "Not Found");
        return callback(*s, *setup, req);
    }).name("login-oidc-callback").rate_limit(s->login_rate_limit);
}

}  // namespace reference::detail
