// bulwark::oidc against a real provider over HTTPS: the login, each attack the provider can
// stage, PKCE, and the transport's certificate, host and size checks.
#include "provider_harness.hpp"

#include <bulwark/oidc.hpp>

#include <gtest/gtest.h>

namespace {

namespace oidc = bulwark::oidc;
using oidc_provider::Provider;

const std::string kRedirect = "https://app.example.com/login/oidc/callback";

Provider& provider() {
    static Provider p;  // one provider for the binary (RSA keys take a moment to make)
    return p;
}

oidc::Config config(std::string issuer = provider().issuer(), std::string ca = provider().ca_file()) {
    oidc::Config c;
    c.issuer = std::move(issuer);
    c.client_id = oidc_provider::kClientId;
    c.client_secret = bulwark::crypto::SecretBytes(std::string_view(oidc_provider::kClientSecret));
    c.redirect_uri = kRedirect;
    c.ca_file = std::move(ca);
    return c;
}

// authorize: the browser's trip to the provider; returns the callback's query.
std::map<std::string, std::string> authorize(const std::string& url) {
    auto r = provider().browse(url);
    EXPECT_EQ(r.status, 302) << r.body;
    EXPECT_EQ(r.location.rfind(kRedirect + "?", 0), 0u) << r.location;
    return oidc_provider::query_of(r.location);
}

boost::json::object last_token_request() {
    auto s = provider().stats();
    const auto& list = s["token_requests"].as_array();
    return list.empty() ? boost::json::object() : list.back().as_object();
}

TEST(OidcProvider, LoginWithBasicAndPostClientAuth) {
    for (auto auth : {oidc::ClientAuth::client_secret_basic, oidc::ClientAuth::client_secret_post}) {
        auto c = config();
        c.client_auth = auth;
        oidc::Client client(c);
        auto begun = client.begin();
        ASSERT_TRUE(begun) << oidc::error_name(begun.error());
        auto cb = authorize(begun->url + "&sub=carol-123&email=carol%40example.com");
        EXPECT_EQ(cb["state"], begun->pending.state);
        auto who = client.finish(begun->pending, cb["state"], cb["code"]);
        ASSERT_TRUE(who) << oidc::error_name(who.error());
        EXPECT_EQ(who->issuer, provider().issuer());
        EXPECT_EQ(who->subject, "carol-123");
        EXPECT_EQ(who->email, "carol@example.com");
        auto seen = last_token_request();
        EXPECT_TRUE(seen["code_verifier_present"].as_bool());  // the client always sends it
        EXPECT_TRUE(seen["pkce_ok"].as_bool());
        EXPECT_EQ(seen["basic_auth"].as_bool(), auth == oidc::ClientAuth::client_secret_basic);
    }
}

TEST(OidcProvider, AttackTable) {
    const std::pair<const char*, oidc::Error> cases[] = {
        {"wrong_aud", oidc::Error::wrong_audience},  {"expired", oidc::Error::expired},
        {"forged_sig", oidc::Error::bad_signature},  {"alg_none", oidc::Error::alg_not_allowed},
        {"hs256", oidc::Error::alg_not_allowed},     {"wrong_nonce", oidc::Error::nonce_mismatch},
        {"wrong_iss", oidc::Error::wrong_issuer},
    };
    oidc::Client client(config());
    for (const auto& [mode, expected] : cases) {
        auto begun = *client.begin();
        auto cb = authorize(begun.url + "&misbehave=" + mode);
        auto who = client.finish(begun.pending, cb["state"], cb["code"]);
        ASSERT_FALSE(who) << mode;
        EXPECT_EQ(oidc::error_name(who.error()), oidc::error_name(expected)) << mode;
    }
}

TEST(OidcProvider, ReplayedStateAndCodeAreRefused) {
    oidc::Client client(config());
    auto begun = *client.begin();
    auto cb = authorize(begun.url);
    ASSERT_TRUE(client.finish(begun.pending, cb["state"], cb["code"]));
    // The app drops the pending login on first use; even if it did not, the code is spent.
    EXPECT_EQ(client.finish(begun.pending, cb["state"], cb["code"]).error(), oidc::Error::token_rejected);
}

TEST(OidcProvider, PkceIsEnforcedByTheProvider) {
    oidc::Client client(config());
    // Without a code_challenge the provider will not even issue a code.
    auto begun = *client.begin();
    auto stripped = begun.url.substr(0, begun.url.find("&code_challenge="));
    EXPECT_EQ(provider().browse(stripped).status, 400);
    // A code redeemed with another verifier (a stolen code without the browser's secret) fails.
    auto cb = authorize(begun.url);
    EXPECT_EQ(client.exchange_code(cb["code"], oidc::new_pending_login(0).code_verifier, kRedirect).error(),
              oidc::Error::token_rejected);
    EXPECT_FALSE(last_token_request()["pkce_ok"].as_bool());
    // And a callback whose login has a different verifier fails the same way.
    auto again = *client.begin();
    auto cb2 = authorize(again.url);
    auto other = again.pending;
    other.code_verifier = oidc::new_pending_login(0).code_verifier;
    EXPECT_EQ(client.finish(other, cb2["state"], cb2["code"]).error(), oidc::Error::token_rejected);
}

TEST(OidcProvider, RotatedKeyIsFetchedOnce) {
    oidc::Client client(config());
    auto first = *client.begin();
    auto cb = authorize(first.url);
    ASSERT_TRUE(client.finish(first.pending, cb["state"], cb["code"]));
    const auto before = provider().stats()["jwks_fetches"].as_int64();
    auto begun = *client.begin();
    auto cb2 = authorize(begun.url + "&misbehave=rotated");
    // The unknown kid k2 makes the client refetch the JWKS, once the refetch interval (60 s)
    // since the last fetch has passed: the clock is moved on 90 s.
    client.set_clock_for_testing([] {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count() + 90;
    });
    auto who = client.finish(begun.pending, cb2["state"], cb2["code"]);
    ASSERT_TRUE(who) << oidc::error_name(who.error());
    EXPECT_EQ(provider().stats()["jwks_fetches"].as_int64(), before + 1);
}

TEST(OidcProvider, TransportChecks) {
    {   // The CA is not trusted: the certificate check fails.
        oidc::Client client(config(provider().issuer(), ""));
        EXPECT_EQ(client.begin().error(), oidc::Error::fetch_failed);
    }
    {   // The certificate names 127.0.0.1, not localhost: the host check fails.
        oidc::Client client(config("https://localhost:" + std::to_string(provider().port())));
        EXPECT_EQ(client.begin().error(), oidc::Error::fetch_failed);
    }
    {   // A provider at another path answers with its own issuer: refused.
        oidc::Client client(config(provider().issuer() + "/tenant"));
        EXPECT_EQ(client.begin().error(), oidc::Error::issuer_mismatch);
    }
    {   // Plain http to the provider's port: refused before connecting.
        auto t = oidc::curl_transport(config());
        EXPECT_EQ(t->send({"http://127.0.0.1:" + std::to_string(provider().port()) + "/jwks", {}, {}}).error(),
                  oidc::Error::insecure_url);
        EXPECT_EQ(t->send({provider().issuer() + "/huge", {}, {}}).error(), oidc::Error::too_large);
        auto ok = t->send({provider().issuer() + "/jwks", {}, {}});
        ASSERT_TRUE(ok);
        EXPECT_EQ(ok->status, 200);
    }
}

}  // namespace
