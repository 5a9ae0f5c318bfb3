// OpenID Connect login of the reference app against a real provider (provider.py over HTTPS on
// loopback): the login, account linking, and every refusal the callback owes.
#include "fixture.hpp"
#include "oidc_integration/provider_harness.hpp"
#include "support/raw_client.hpp"

#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

namespace {

using bulwark::testing::TestClient;
using oidc_provider::Provider;
using reference_test::kPassword;
using reference_test::token_in;

Provider& provider() {
    static Provider p;
    return p;
}

std::map<std::string, std::string> oidc_vars() {
    return {{"OIDC_ISSUER", provider().issuer()},
            {"OIDC_CLIENT_ID", oidc_provider::kClientId},
            {"OIDC_CLIENT_SECRET", oidc_provider::kClientSecret},
            {"OIDC_CA_FILE", provider().ca_file()}};
}

// path_of: the path and query of the callback URL the provider sent the browser to.
std::string path_of(const std::string& url) {
    auto u = boost::urls::parse_uri(url);
    return std::string(u->encoded_path()) + "?" + std::string(u->encoded_query());
}

// start_login: GET /login/oidc, then the provider (with extra parameters), and back: the
// callback target to GET on the app.
std::string start_login(TestClient& c, const std::string& extra = "") {
    auto r = c.get("/login/oidc");
    EXPECT_EQ(r.status, 303);
    const std::string location(r.header("Location").value_or(""));
    EXPECT_EQ(location.rfind(provider().issuer() + "/authorize?", 0), 0u) << location;
    auto at_provider = provider().browse(location + extra);
    EXPECT_EQ(at_provider.status, 302) << at_provider.body;
    return path_of(at_provider.location);
}

std::string username_on_home(TestClient& c) {
    auto home = c.get("/");
    static const std::regex re("oidc_[0-9a-f]{15}");
    std::smatch m;
    return std::regex_search(home.body, m, re) ? m[0].str() : std::string();
}

// On SQLite with in-process stores here, and on PostgreSQL + Redis in test_reference_services.
class ReferenceOidc : public reference_test::BackendTest {};

TEST_P(ReferenceOidc, NotConfiguredIs404) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    EXPECT_EQ(c.get("/login/oidc").status, 404);
    EXPECT_EQ(c.get("/login/oidc/callback?code=x&state=y").status, 404);
}

TEST_P(ReferenceOidc, RedirectCarriesStateNonceAndPkce) {
    reference_test::App a(GetParam(), oidc_vars());
    TestClient c(a.app);
    auto r = c.get("/login/oidc");
    ASSERT_EQ(r.status, 303);
    auto q = oidc_provider::query_of(std::string(*r.header("Location")));
    EXPECT_EQ(q["response_type"], "code");
    EXPECT_EQ(q["client_id"], oidc_provider::kClientId);
    EXPECT_EQ(q["redirect_uri"], "http://localhost/login/oidc/callback");
    EXPECT_EQ(q["state"].size(), 43u);
    EXPECT_EQ(q["nonce"].size(), 43u);
    EXPECT_EQ(q["code_challenge"].size(), 43u);
    EXPECT_EQ(q["code_challenge_method"], "S256");
    EXPECT_EQ(q.count("code_verifier"), 0u);  // the verifier never leaves the server
    EXPECT_TRUE(c.cookie("session"));
}

TEST_P(ReferenceOidc, LoginMakesAnAccountAndReplayIsRefused) {
    reference_test::App a(GetParam(), oidc_vars());
    TestClient c(a.app);
    const auto callback = start_login(c, "&sub=dora-1");
    const auto before = *c.cookie("session");
    auto done = c.get(callback);
    ASSERT_EQ(done.status, 303) << done.body;
    EXPECT_EQ(done.header("Location").value_or(""), "/");
    EXPECT_NE(*c.cookie("session"), before);  // a new session id after login
    const auto name = username_on_home(c);
    EXPECT_EQ(name.size(), 20u);
    EXPECT_TRUE(provider().stats()["token_requests"].as_array().back().as_object()["pkce_ok"].as_bool());
    // The same callback again (replayed state and code), in this session and in the old one.
    EXPECT_EQ(c.get(callback).status, 400);
    TestClient old(a.app);
    old.set_cookie("session", before);
    EXPECT_EQ(old.get(callback).status, 400);
    // The same subject again is the same account, whatever email it now claims.
    TestClient again(a.app);
    ASSERT_EQ(again.get(start_login(again, "&sub=dora-1&email=other%40example.com")).status, 303);
    EXPECT_EQ(username_on_home(again), name);
    // The new account has no password: the password login refuses it.
    TestClient pw(a.app);
    auto form = pw.get("/login");
    EXPECT_EQ(pw.post_form("/login", {{"username", name}, {"password", ""}, {"csrf_token", token_in(form.body)}})
                  .status, 401);
}

TEST_P(ReferenceOidc, CallbackRefusals) {
    // The callback shares the login rate limit (5 per minute by default); this test makes 11.
    auto vars = oidc_vars();
    vars["BULWARK_LOGIN_RATE_LIMIT"] = "100 per minute";
    reference_test::App a(GetParam(), vars);
    {   // A state that is not this session's.
        TestClient c(a.app);
        auto callback = start_login(c);
        auto at = callback.find("state=");
        callback.replace(at + 6, 4, "AAAA");
        EXPECT_EQ(c.get(callback).status, 400);
    }
    {   // A callback in a session that never started a login (no stored verifier): refused
        // before any token request, so no code is redeemed without PKCE.
        TestClient c(a.app);
        const auto callback = start_login(c);
        const auto requests = provider().stats()["token_requests"].as_array().size();
        TestClient stranger(a.app);
        EXPECT_EQ(stranger.get(callback).status, 400);
        EXPECT_EQ(provider().stats()["token_requests"].as_array().size(), requests);
    }
    {   // A bad code.
        TestClient c(a.app);
        auto callback = start_login(c);
        auto at = callback.find("code=");
        callback.replace(at + 5, 4, "AAAA");
        EXPECT_EQ(c.get(callback).status, 400);
    }
    {   // The provider says no.
        TestClient c(a.app);
        auto r = c.get("/login/oidc");
        auto state = oidc_provider::query_of(std::string(*r.header("Location")))["state"];
        EXPECT_EQ(c.get("/login/oidc/callback?error=access_denied&state=" + state).status, 400);
    }
    for (const char* mode : {"wrong_aud", "expired", "forged_sig", "alg_none", "hs256", "wrong_nonce", "wrong_iss"}) {
        TestClient c(a.app);
        auto r = c.get(start_login(c, std::string("&misbehave=") + mode));
        EXPECT_EQ(r.status, 400) << mode;
        EXPECT_EQ(c.get("/").body.find("oidc_"), std::string::npos) << mode;  // not logged in
    }
}

TEST_P(ReferenceOidc, LinkingNeedsTheAccountLoggedIn) {
    reference_test::App a(GetParam(), oidc_vars());
    // erin registers with erin@example.com; an identity claiming that (verified) address does
    // not get her account: it gets a new one.
    TestClient erin(a.app);
    auto form = erin.get("/register");
    ASSERT_EQ(erin.post_form("/register", {{"username", "erin"}, {"email", "erin@example.com"},
                                           {"password", kPassword}, {"csrf_token", token_in(form.body)}})
                  .status, 303);
    TestClient attacker(a.app);
    ASSERT_EQ(attacker.get(start_login(attacker, "&sub=mallory&email=erin%40example.com")).status, 303);
    EXPECT_NE(username_on_home(attacker), "");
    EXPECT_EQ(attacker.get("/").body.find("erin"), std::string::npos);
    // Logged in as erin, she links her own provider identity; it then logs in to erin.
    auto login = erin.get("/login");
    ASSERT_EQ(erin.post_form("/login", {{"username", "erin"}, {"password", kPassword},
                                        {"csrf_token", token_in(login.body)}})
                  .status, 303);
    ASSERT_EQ(erin.get(start_login(erin, "&sub=erin-at-idp")).status, 303);
    TestClient later(a.app);
    ASSERT_EQ(later.get(start_login(later, "&sub=erin-at-idp")).status, 303);
    EXPECT_NE(later.get("/").body.find("erin"), std::string::npos);
    // mallory's identity, already linked to its own account, cannot be attached to erin's.
    EXPECT_EQ(erin.get(start_login(erin, "&sub=mallory")).status, 400);
}

TEST_P(ReferenceOidc, LoginOverRealSockets) {
    reference_test::App a(GetParam(), oidc_vars());
    bulwark::test_support::RunningServer server(a.app);
    const std::string host = "127.0.0.1:" + std::to_string(server.port());
    auto get = [&](const std::string& target, const std::string& cookie) {
        bulwark::test_support::RawClient client(server.port());
        client.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" +
                    (cookie.empty() ? "" : "Cookie: session=" + cookie + "\r\n") + "Connection: close\r\n\r\n");
        return client.read_until_closed();
    };
    auto header = [](const std::string& reply, const std::string& name) {
        const auto at = reply.find("\r\n" + name + ": ");
        if (at == std::string::npos) return std::string();
        const auto start = at + name.size() + 4;
        return reply.substr(start, reply.find("\r\n", start) - start);
    };
    auto cookie_of = [&](const std::string& reply) {
        auto v = header(reply, "Set-Cookie");
        return v.substr(v.find('=') + 1, v.find(';') - v.find('=') - 1);
    };
    const auto start = get("/login/oidc", "");
    ASSERT_EQ(start.rfind("HTTP/1.1 303", 0), 0u) << start.substr(0, 300);
    const auto location = header(start, "Location");
    EXPECT_EQ(oidc_provider::query_of(location)["redirect_uri"], "http://" + host + "/login/oidc/callback");
    const auto session = cookie_of(start);
    auto at_provider = provider().browse(location);
    ASSERT_EQ(at_provider.status, 302);
    const auto done = get(path_of(at_provider.location), session);
    ASSERT_EQ(done.rfind("HTTP/1.1 303", 0), 0u) << done.substr(0, 300);
    EXPECT_EQ(header(done, "Location"), "/");
    const auto home = get("/", cookie_of(done));
    EXPECT_NE(home.find("oidc_"), std::string::npos);
    server.stop();
}

INSTANTIATE_TEST_SUITE_P(, ReferenceOidc, reference_test::backends(), reference_test::backend_name);

}  // namespace
