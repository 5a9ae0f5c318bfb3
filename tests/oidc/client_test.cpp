// Client over a fake transport: the authorization request, state, the code exchange, caching.
#include "test_helpers.hpp"

#include <boost/url/parse.hpp>
#include <gtest/gtest.h>

using namespace oidc_test;

namespace {

struct Provider {
    std::shared_ptr<FakeTransport> transport = std::make_shared<FakeTransport>();
    std::vector<jwt::Key> published{provider_key()};
    jwt::Key signer = provider_key();
    std::string nonce;  // the nonce the "user" authorized with
    std::int64_t now = kNow;

    Provider() {
        transport->routes[kIssuer + "/.well-known/openid-configuration"] = [](const oidc::HttpRequest&) {
            return oidc::HttpResponse{200, discovery_json()};
        };
        transport->routes[kIssuer + "/jwks"] = [this](const oidc::HttpRequest&) {
            return oidc::HttpResponse{200, jwks_of(published)};
        };
        transport->routes[kIssuer + "/token"] = [this](const oidc::HttpRequest&) {
            auto claims = good_claims();
            claims["nonce"] = nonce;
            claims["iat"] = now;
            claims["exp"] = now + 300;
            const auto body = boost::json::serialize(boost::json::object{{"token_type", "Bearer"},
                                                                         {"id_token", sign(claims, signer)}});
            return oidc::HttpResponse{200, body};
        };
    }
    std::unique_ptr<oidc::Client> client(oidc::ClientAuth auth = oidc::ClientAuth::client_secret_basic) {
        oidc::Config c;
        c.issuer = kIssuer;
        c.client_id = kClientId;
        c.client_secret = bulwark::crypto::SecretBytes(std::string_view("s3cr3t:&="));
        c.redirect_uri = "https://app.example.com/login/oidc/callback";
        c.client_auth = auth;
        auto client = std::make_unique<oidc::Client>(std::move(c), transport);
        client->set_clock_for_testing([this] { return now; });
        return client;
    }
};

std::map<std::string, std::string> query_of(const std::string& url) {
    std::map<std::string, std::string> out;
    auto u = boost::urls::parse_uri(url);
    for (auto p : u->params()) out[p.key] = p.value;
    return out;
}

TEST(OidcPkce, Rfc7636AppendixB) {
    EXPECT_EQ(oidc::code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
              "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(OidcClient, BeginBuildsTheAuthorizationRequest) {
    Provider p;
    auto client = p.client();
    auto a = client->begin();
    ASSERT_TRUE(a) << oidc::error_name(a.error());
    EXPECT_EQ(a->url.rfind(kIssuer + "/authorize?", 0), 0u);
    auto q = query_of(a->url);
    EXPECT_EQ(q["response_type"], "code");
    EXPECT_EQ(q["client_id"], kClientId);
    EXPECT_EQ(q["redirect_uri"], "https://app.example.com/login/oidc/callback");
    EXPECT_EQ(q["scope"], "openid email profile");
    EXPECT_EQ(q["state"], a->pending.state);
    EXPECT_EQ(q["nonce"], a->pending.nonce);
    EXPECT_EQ(q["code_challenge_method"], "S256");
    EXPECT_EQ(q["code_challenge"], oidc::code_challenge_s256(a->pending.code_verifier));
    EXPECT_EQ(q.count("code_verifier"), 0u);
    EXPECT_EQ(a->pending.code_verifier.size(), 43u);  // 256 bits
    auto b = client->begin();
    EXPECT_NE(a->pending.state, b->pending.state);
    EXPECT_NE(a->pending.nonce, b->pending.nonce);
    EXPECT_NE(a->pending.code_verifier, b->pending.code_verifier);
    EXPECT_EQ(p.transport->count(kIssuer + "/.well-known/openid-configuration"), 1u);  // cached
}

TEST(OidcClient, PendingLoginRoundTripsThroughTheSession) {
    auto p = oidc::new_pending_login(kNow);
    auto back = oidc::pending_from_json(oidc::to_json(p));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->state, p.state);
    EXPECT_EQ(back->code_verifier, p.code_verifier);
    EXPECT_EQ(back->created_at, kNow);
    auto damaged = oidc::to_json(p);
    damaged["state"] = "short";
    EXPECT_FALSE(oidc::pending_from_json(damaged));
    EXPECT_FALSE(oidc::pending_from_json(boost::json::value("x")));
}

TEST(OidcClient, FinishLogsInAndSendsVerifierAndSecret) {
    for (auto auth : {oidc::ClientAuth::client_secret_basic, oidc::ClientAuth::client_secret_post}) {
        Provider p;
        auto client = p.client(auth);
        auto a = *client->begin();
        p.nonce = a.pending.nonce;
        auto who = client->finish(a.pending, a.pending.state, "the-code");
        ASSERT_TRUE(who) << oidc::error_name(who.error());
        EXPECT_EQ(who->subject, "248289761001");
        const oidc::HttpRequest* token = nullptr;
        for (const auto& r : p.transport->seen)
            if (r.url == kIssuer + "/token") token = &r;
        ASSERT_NE(token, nullptr);
        EXPECT_NE(token->form_body.find("code_verifier=" + a.pending.code_verifier), std::string::npos);
        EXPECT_NE(token->form_body.find("grant_type=authorization_code"), std::string::npos);
        EXPECT_NE(token->form_body.find("code=the-code"), std::string::npos);
        if (auth == oidc::ClientAuth::client_secret_basic) {
            // RFC 6749 §2.3.1: each part form-encoded, then base64.
            ASSERT_EQ(token->headers.size(), 1u);
            EXPECT_EQ(token->headers[0].second,
                      "Basic " + bulwark::crypto::base64_encode(bulwark::crypto::as_bytes("bulwark-app:s3cr3t%3A%26%3D")));
            EXPECT_EQ(token->form_body.find("client_secret"), std::string::npos);
        } else {
            EXPECT_TRUE(token->headers.empty());
            EXPECT_NE(token->form_body.find("client_secret=s3cr3t%3A%26%3D"), std::string::npos);
        }
    }
}

TEST(OidcClient, FinishRefusesBadStateAndStalePending) {
    Provider p;
    auto client = p.client();
    auto a = *client->begin();
    p.nonce = a.pending.nonce;
    EXPECT_EQ(client->finish(a.pending, "", "code").error(), oidc::Error::state_mismatch);
    EXPECT_EQ(client->finish(a.pending, a.pending.state + "x", "code").error(), oidc::Error::state_mismatch);
    EXPECT_EQ(client->finish(oidc::new_pending_login(kNow), a.pending.state, "code").error(),
              oidc::Error::state_mismatch);
    EXPECT_EQ(client->finish(oidc::PendingLogin{}, "", "code").error(), oidc::Error::state_mismatch);
    EXPECT_EQ(client->finish(a.pending, a.pending.state, "").error(), oidc::Error::provider_error);
    p.now += 601;
    EXPECT_EQ(client->finish(a.pending, a.pending.state, "code").error(), oidc::Error::state_mismatch);
    EXPECT_EQ(p.transport->count(kIssuer + "/token"), 0u);  // nothing reached the provider
}

TEST(OidcClient, TokenFromTheWrongLoginIsRefused) {
    Provider p;
    auto client = p.client();
    auto a = *client->begin();
    p.nonce = "someone-elses-nonce";
    EXPECT_EQ(client->finish(a.pending, a.pending.state, "code").error(), oidc::Error::nonce_mismatch);
}

TEST(OidcClient, UnknownKidRefetchesAtMostOncePerInterval) {
    Provider p;
    auto client = p.client();
    auto a = *client->begin();
    p.nonce = a.pending.nonce;
    ASSERT_TRUE(client->finish(a.pending, a.pending.state, "c"));
    EXPECT_EQ(p.transport->count(kIssuer + "/jwks"), 1u);
    // The provider rotates: tokens now carry k2, which the cached set lacks.
    p.signer = jwt::Key::generate(jwt::Algorithm::rs256, "k2");
    p.published = {provider_key(), p.signer};
    p.now += 61;
    a = *client->begin();
    p.nonce = a.pending.nonce;
    ASSERT_TRUE(client->finish(a.pending, a.pending.state, "c"));
    EXPECT_EQ(p.transport->count(kIssuer + "/jwks"), 2u);
    // A made-up kid: one refetch per interval at most, however many tokens carry it.
    p.signer = jwt::Key::generate(jwt::Algorithm::rs256, "made-up");
    for (int i = 0; i < 5; ++i) {
        a = *client->begin();
        p.nonce = a.pending.nonce;
        EXPECT_EQ(client->finish(a.pending, a.pending.state, "c").error(), oidc::Error::no_usable_key);
    }
    EXPECT_EQ(p.transport->count(kIssuer + "/jwks"), 2u);
    p.now += 61;
    a = *client->begin();
    p.nonce = a.pending.nonce;
    EXPECT_FALSE(client->finish(a.pending, a.pending.state, "c"));
    EXPECT_EQ(p.transport->count(kIssuer + "/jwks"), 3u);
}

TEST(OidcClient, DiscoveryForAnotherIssuerIsRefused) {
    Provider p;
    p.transport->routes[kIssuer + "/.well-known/openid-configuration"] = [](const oidc::HttpRequest&) {
        return oidc::HttpResponse{200, discovery_json("https://evil.example.com")};
    };
    auto client = p.client();
    EXPECT_EQ(client->begin().error(), oidc::Error::issuer_mismatch);
    p.transport->routes[kIssuer + "/.well-known/openid-configuration"] = [](const oidc::HttpRequest&) {
        return oidc::HttpResponse{404, "{}"};
    };
    EXPECT_EQ(client->begin().error(), oidc::Error::http_status);
}

TEST(OidcClient, ConfigurationRefusals) {
    auto make = [](auto change) {
        oidc::Config c;
        c.issuer = kIssuer;
        c.client_id = kClientId;
        c.redirect_uri = "https://app.example.com/cb";
        change(c);
        return [c] { oidc::Client client(c, std::make_shared<FakeTransport>()); };
    };
    EXPECT_THROW(make([](oidc::Config& c) { c.issuer = "http://idp.example.com"; })(), std::invalid_argument);
    EXPECT_THROW(make([](oidc::Config& c) { c.issuer = "http://127.0.0.1:9"; })(), std::invalid_argument);
    EXPECT_NO_THROW(make([](oidc::Config& c) {
        c.issuer = "http://127.0.0.1:9";
        c.insecure_http = oidc::InsecureHttp::allow_loopback_for_testing;
    })());
    EXPECT_THROW(make([](oidc::Config& c) { c.client_id.clear(); })(), std::invalid_argument);
    EXPECT_THROW(make([](oidc::Config& c) { c.allowed_algorithms = {jwt::Algorithm::hs256}; })(),
                 std::invalid_argument);
    EXPECT_THROW(make([](oidc::Config& c) { c.leeway = std::chrono::seconds(3600); })(), std::invalid_argument);
}

TEST(OidcCurlTransport, RefusesPlainHttpAndUnreachable) {
    oidc::Config c;
    c.issuer = kIssuer;
    c.client_id = kClientId;
    c.redirect_uri = "https://app.example.com/cb";
    c.connect_timeout = std::chrono::milliseconds(500);
    auto t = oidc::curl_transport(c);
    EXPECT_EQ(t->send({"http://127.0.0.1:9/x", {}, {}}).error(), oidc::Error::insecure_url);
    EXPECT_EQ(t->send({"https://127.0.0.1:9/x", {}, {}}).error(), oidc::Error::fetch_failed);
}

}  // namespace
