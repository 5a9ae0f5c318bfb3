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
    // Unknown user and wrong password cost the same and answer the same.
    bool ok = false;
    auto stored = state.db.one<std::string>("SELECT password_hash FROM users WHERE username = ?", username);
    if (!stored) throw std::runtime_error("user lookup: " + stored.error().diagnostic_for_log());
    if (*stored && !username.empty()) {
        auto v = state.hashes->verify(password, **stored);
        if (!v && v.error() == bulwark::password::Error::busy) return busy();
        ok = v.ok();
    } else if (auto d = state.hashes->verify_dummy(password); !d) {
        return busy();
    }
    if (!ok) {
        if (state.services.audit)
            state.services.audit->log(bulwark::audit::Event::authn_login_fail,
                                      {req.request_id(), req.client_address(), {}});
        return json_message("msg", "Bad credentials", 401);
    }
    auto pair = state.tokens->issue_pair(username);
    if (!pair) throw std::runtime_error("token issue failed");
    if (state.services.audit)
        state.services.audit->log(bulwark::audit::Event::authn_token_created,
                                  {req.request_id(), req.client_address(), username});
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
    app.post("/api/refresh", [s](Request& req) {
        auto claims = bearer(*s, req, jwt::TokenType::refresh);
        if (!claims) return unauthorized(claims.error());
        auto access = s->tokens->issue_access(claims->subject, jwt::Freshness::not_fresh);
        if (!access) throw std::runtime_error("token issue failed");
        boost::json::object out{{"access_token", *access}};
        return Response::json(boost::json::serialize(out));
    }).csrf_exempt().tag("auth", "bearer refresh token").name("api-refresh");
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
