// bulwark/pipeline.hpp: the default, secure middleware stages, installed on an App in one call.
//
// What it does: wires the sans-I/O components (headers, cors, ratelimit, session, csrf, audit)
// into `App` as middleware, in the fixed order of docs/pipeline.md, so that an app gets secure
// headers with a CSP nonce, the HTTPS redirect, CORS, rate limits, sessions and CSRF checks
// without writing any glue. A route opts out only visibly (`.csrf_exempt()`, `.no_rate_limit()`).
//
// Security model: every response, including early refusals (429, CSRF 400, CORS preflight,
// 404, 413 via App::reject) and handler exceptions, leaves through the secure-headers stage,
// which also strips headers naming the server software. Rate-limit keys come from the resolved
// client address (trusted proxies only). The CSRF check runs for every unsafe method on a
// matched, non-exempt route, before the handler, against the session's secret. Nothing here
// logs a secret: the security log gets event names, reasons and the request id only.
//
//     bulwark::App app;
//     auto config = bulwark::Config::from_env();
//     auto services = bulwark::pipeline::make_services(config);
//     bulwark::pipeline::install_defaults(app, config, services);
//     app.get("/", [](bulwark::Request& req) {
//         return bulwark::Response::html("<script nonce=\"" + bulwark::pipeline::csp_nonce(req) + "\">…");
//     });
#pragma once

#include <bulwark/audit.hpp>
#include <bulwark/config.hpp>
#include <bulwark/cors.hpp>
#include <bulwark/crypto.hpp>
#include <bulwark/csrf.hpp>
#include <bulwark/headers.hpp>
#include <bulwark/http.hpp>
#include <bulwark/metrics.hpp>
#include <bulwark/ratelimit.hpp>
#include <bulwark/session.hpp>
#include <bulwark/store.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::pipeline {

// kMetricsScope: the API-key scope that may read /metrics from any address.
inline constexpr std::string_view kMetricsScope = "metrics";

// MetricsOptions: the /metrics page (docs/metrics.md). It is answered only to a loopback
// client (Request::client_address: the socket peer, or what a TRUSTED_PROXIES hop reported,
// so a remote client behind a local proxy is refused) or to an API key the app vouches for;
// anyone else gets the same 404 as an unknown path.
struct MetricsOptions {
    std::string path = "/metrics";
    // api_key_allows gets the X-API-Key value and returns true for a valid key with the
    // `metrics` scope: `keys.authenticate_scoped(key, kMetricsScope).ok()`.
    // Unset: loopback only.
    std::function<bool(std::string_view untrusted_key)> api_key_allows;
};

// Services: the shared objects the stages use. Every pointer may be null, which turns that
// stage off (visibly, in the code that builds the Services). make_services fills them all.
struct Services {
    std::shared_ptr<store::Store> store;
    std::shared_ptr<ratelimit::Limiter> limiter;       // null: no rate limits
    std::shared_ptr<const cors::Cors> cors;            // null: no CORS headers at all
    std::shared_ptr<const session::Manager> sessions;  // null: no session stage
    std::shared_ptr<audit::Logger> audit;              // null: no security log lines
    headers::Policy headers;
    headers::RedirectPolicy redirect;
    csrf::Policy csrf;
    // default_limits apply to routes that set no rate_limits of their own (and not
    // .no_rate_limit()); empty by default, as Flask-Limiter's default_limits.
    std::vector<ratelimit::Limit> default_limits;
    // csrf_secret yields the secret unsafe requests are checked against. Empty: the secret
    // kept in the session (csrf_token() creates it). Return nullptr when there is none.
    std::function<const crypto::SecretBytes*(Request&)> csrf_secret;
    // error_log receives handler exceptions the headers stage turns into 500s.
    std::function<void(std::string_view request_id, std::string_view what)> error_log;
    // metrics: null (the default) means no /metrics page and no request counting;
    // enable_metrics sets both fields.
    std::shared_ptr<metrics::Registry> metrics;
    std::shared_ptr<const MetricsOptions> metrics_options;
};

// make_services builds the defaults from the configuration: the store (REDIS_URL or an
// in-process memory store), a Limiter over it, CORS on /api for CORS_ORIGINS (GET, POST;
// Content-Type, Authorization, X-API-Key), server-side sessions (__Host- in production), the
// CSRF policy with TRUSTED_ORIGINS, a security log on stderr. Throws ConfigError-like
// exceptions (std::invalid_argument / std::runtime_error) on bad settings, at start only.
Services make_services(const Config& config);

// enable_metrics turns on request metrics and the /metrics page; call it before
// install_defaults, which then installs the counting stage outermost (so refusals such as a
// 429 or a CSRF 400 are counted too) and the page's route. The page holds requests by route
// pattern and status, a latency histogram, 429 answers and the security log's event counts.
// Returns the registry, for the app's own metrics.
std::shared_ptr<metrics::Registry> enable_metrics(Services& services, MetricsOptions options = {});

// install_defaults adds the stages to `app` (call it before any other App::use), in order:
//   0. request metrics (only with enable_metrics) outermost, so it times and counts every answer
//   1. secure headers + CSP nonce   outermost, so every answer (also refusals and 500s) gets them
//   2. HTTPS redirect (production)   before anything reads cookies or a body sent in clear
//   3. CORS                          preflights answered before quotas; headers also on 429s
//   4. rate limit                    before the session load, so a flood costs no store reads
//   5. session load / save           the CSRF secret and the user live in the session
//   6. CSRF                          last before the handler, after the session it checks against
// Throws std::invalid_argument for a header or CSRF policy that cannot be right.
void install_defaults(App& app, const Config& config, Services& services);

// Per-request values the stages leave in `req.local<...>()` for handlers and templates.
struct CspNonce {
    std::string value;  // base64url, fresh per request; empty outside the pipeline
};
struct SessionSlot {
    session::Session session;
    bool present = false;  // false when the pipeline has no session stage
};
struct ResponseHints {
    bool logout = false;  // the handler logged the user out: Clear-Site-Data is sent
};

// csp_nonce returns this request's nonce for `<script nonce=...>` / `<style nonce=...>`.
const std::string& csp_nonce(Request& req);
// session returns this request's session (an empty one when there is no session stage).
session::Session& session(Request& req);
// csrf_token returns a freshly masked token for forms and the X-CSRF-Token header, creating
// the session's secret when it has none (so the response sets the session cookie).
std::string csrf_token(Request& req);
// mark_logout asks the headers stage for Clear-Site-Data on this response.
void mark_logout(Request& req);

// kCsrfSessionKey: where the CSRF secret lives in the session data (base64url).
inline constexpr std::string_view kCsrfSessionKey = "_csrf";

}  // namespace bulwark::pipeline
