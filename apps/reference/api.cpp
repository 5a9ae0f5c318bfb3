// The JSON API: bearer tokens, a signed webhook and API keys. CSRF-exempt because none of
// these routes reads the session cookie.
#include "app_state.hpp"

#include <bulwark/form.hpp>
#include <bulwark/webhook.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace reference::detail {
namespace {

using bulwark::Request;
using bulwark::Response;
namespace jwt = bulwark::jwt;

// bearer verifies `Authorization: Bearer <token>` as the expected type.
bulwark::Result<jwt::Claims, jwt::JwtError> bearer(State& state, const Request& req, jwt::TokenType type) {
    auto header = req.header("Authorization");
    if (!header) return jwt::JwtError::missing;
    auto token = jwt::bearer_from_authorization_header(*header);
    if (!token) return jwt::JwtError::malformed;
    return state.tokens->verify(*token, type);
}

Response unauthorized(jwt::JwtError e) { return json_message("msg", jwt::error_message(e), 401); }

Response api_login(State& state, Request& req) {
    auto body = bulwark::form::parse_json(req.body());
    std::string username, password;
    if (body && body->is_object()) {
        const auto& o = body->get_object();
        if (auto* u = o.if_contains("username"); u && u->is_string()) username = u->get_string();
        if (auto* p = o.if_contains("password"); p && p->is_string()) password = p->get_string();
    }
    // Unknown user and wrong password cost the same and answer the same; so do a locked
    // account and an unknown one.
    const auto check = check_login(state, req, username, password);
    if (check.outcome == LoginOutcome::busy) {
        auto r = busy();
        set_retry_after(r, check.retry_after);
        return r;
    }
    if (check.outcome == LoginOutcome::throttled) {
        auto r = json_message("msg", "Too many login attempts", 429);
        set_retry_after(r, check.retry_after);
        return r;
    }
    if (check.outcome == LoginOutcome::bad_credentials) return json_message("msg", "Bad credentials", 401);
    if (login_needs_verification(state, req, username)) return json_message("msg", "Email address not verified", 403);
    auto pair = state.tokens->issue_pair(username);
    if (!pair) throw std::runtime_error("token issue failed");
    if (state.services.audit)
        state.services.audit->log(bulwark::audit::Event::authn_token_created,
                                  {req.request_id(), req.client_address(), username});
    boost::json::object out{{"access_token", pair->access_token}, {"refresh_token", pair->refresh_token}};
    return Response::json(boost::json::serialize(out));
}

// api_refresh rotates: the refresh token presented is used up and a new pair of the same
// family comes back. A refresh token presented a second time means two parties hold it, so
// the whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation) and both get 401.
Response api_refresh(State& state, Request& req) {
    auto header = req.header("Authorization");
    if (!header) return unauthorized(jwt::JwtError::missing);
    auto token = jwt::bearer_from_authorization_header(*header);
    if (!token) return unauthorized(jwt::JwtError::malformed);
    auto pair = state.tokens->refresh(*token);
    if (!pair) {
        if (pair.error() == jwt::JwtError::refresh_reused && state.services.audit)
            state.services.audit->log(bulwark::audit::Event::authn_token_reuse,
                                      {req.request_id(), req.client_address(), {}});
        return unauthorized(pair.error());
    }
    boost::json::object out{{"access_token", pair->access_token}, {"refresh_token", pair->refresh_token}};
    return Response::json(boost::json::serialize(out));
}

Response api_data(State& state, Request& req) {
    auto principal = state.api_keys->authenticate(req.header(bulwark::apikey::kHeader).value_or(""));
    if (!principal) return json_message("error", "Invalid API key", 401);
    // The limit counts per key, so it is checked here, once the key is known.
    auto d = state.services.limiter->check("api-data", bulwark::ratelimit::api_key_key(principal->key_id),
                                           state.api_data_limits);
    Response r = d.allowed ? Response::json(R"({"data": "sensitive information"})")
                           : json_message("error", "Too Many Requests", 429);
    for (const auto& [name, value] : bulwark::ratelimit::headers(d)) r.headers().set(name, value);
    return r;
}

}  // namespace

void add_api(bulwark::App& app, const std::shared_ptr<State>& state) {
    auto s = state;
    app.post("/api/login", [s](Request& req) { return api_login(*s, req); })
        .csrf_exempt()
        .tag("auth", "credentials in the JSON body, no cookie")
        .name("api-login")
        .rate_limit(s->login_rate_limit);
    app.get("/api/protected", [s](Request& req) {
        auto claims = bearer(*s, req, jwt::TokenType::access);
        if (!claims) return unauthorized(claims.error());
        boost::json::object out{{"logged_in_as", claims->subject}};
        return Response::json(boost::json::serialize(out));
    }).name("api-protected");
    app.post("/api/refresh", [s](Request& req) { return api_refresh(*s, req); }).csrf_exempt().tag("auth", "bearer refresh token").name("api-refresh");
    app.post("/api/logout", [s](Request& req) {
        auto claims = bearer(*s, req, jwt::TokenType::access);
        if (!claims) return unauthorized(claims.error());
        if (!s->tokens->revoke(*claims)) throw std::runtime_error("token revocation failed");
        if (s->services.audit)
            s->services.audit->log(bulwark::audit::Event::authn_token_revoked,
                                   {req.request_id(), req.client_address(), claims->subject});
        return json_message("msg", "Successfully logged out", 200);
    }).csrf_exempt().tag("auth", "bearer access token").name("api-logout");
    app.post("/api/webhook", [s](Request& req) {
        // No WEBHOOK_SECRET configured: nothing can be verified, so nothing is accepted.
        const auto signature = req.header("X-Signature-256");
        if (!s->webhook_secret || !signature)
            return json_message("error", "Invalid signature", 401);
        auto ok = bulwark::webhook::verify_sha256_header(s->webhook_secret->reveal(),
                                                         bulwark::crypto::as_bytes(req.body()), *signature);
        if (!ok) return json_message("error", "Invalid signature", 401);
        if (!bulwark::form::parse_json(req.body())) return json_message("error", "Invalid JSON", 400);
        return Response::json(R"({"success": true})");
    }).csrf_exempt().tag("auth", "HMAC signature").name("api-webhook");
    app.get("/api/data", [s](Request& req) { return api_data(*s, req); }).name("api-data");
}

}  // namespace reference::detail
