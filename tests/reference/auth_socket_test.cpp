// The reference app's rate limits and login lock over a real loopback socket (the server's own
// path: Beast parser, client address from the socket, headers as written on the wire).
#include "fixture.hpp"
#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

using bulwark::test_support::exchange;
using bulwark::test_support::RawClient;
using bulwark::test_support::Reply;
using bulwark::test_support::RunningServer;
using bulwark::testing::TestClient;
using reference_test::kPassword;

namespace {

Reply api_login(std::uint16_t port, const std::string& user, const std::string& password) {
    return exchange(port, "POST", "/api/login", "Content-Type: application/json\r\n",
                    R"({"username": ")" + user + R"(", "password": ")" + password + R"("})");
}

// FormSession: the session cookie and CSRF token a browser would get from GET /login.
struct FormSession {
    std::string cookie;
    std::string token;
};

FormSession form_session(std::uint16_t port) {
    const auto page = exchange(port, "GET", "/login", "");
    static const std::regex cookie_re(R"re(\r\nSet-Cookie: ([^=;\s]+=[^;\r]+))re");
    std::smatch m;
    FormSession s;
    if (std::regex_search(page.raw, m, cookie_re)) s.cookie = m[1].str();
    s.token = reference_test::token_in(page.body());
    return s;
}

Reply form_login(std::uint16_t port, const FormSession& s, const std::string& user, const std::string& password) {
    const std::string body = TestClient::form_encode({{"username", user}, {"password", password}, {"csrf_token", s.token}});
    return exchange(port, "POST", "/login",
                    "Content-Type: application/x-www-form-urlencoded\r\nCookie: " + s.cookie + "\r\n", body);
}

void expect_limited(const Reply& r, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.status, 429) << r.raw.substr(0, 300);
    ASSERT_TRUE(r.header("Retry-After"));
    EXPECT_GE(std::stoi(*r.header("Retry-After")), 1);
    EXPECT_TRUE(r.header("X-RateLimit-Limit"));
    EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), "0");
    EXPECT_TRUE(r.header("X-RateLimit-Reset"));
}

}  // namespace

TEST(ReferenceAuthSocket, SixthApiLoginInAMinuteIs429WithRateLimitHeaders) {
    reference_test::App a;
    RunningServer server(a.app);
    for (int i = 0; i < 5; ++i) {
        auto r = api_login(server.port(), "nobody", "wrong password");
        EXPECT_EQ(r.status, 401) << i;
        EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "5") << i;
        EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), std::to_string(4 - i)) << i;
    }
    auto sixth = api_login(server.port(), "nobody", "wrong password");
    expect_limited(sixth, "sixth api login");
    EXPECT_NE(sixth.body().find("Too Many Requests"), std::string::npos) << sixth.body();
    server.stop();
}

TEST(ReferenceAuthSocket, SixthFormLoginInAMinuteIs429WithRateLimitHeaders) {
    reference_test::App a;
    RunningServer server(a.app);
    const auto s = form_session(server.port());
    ASSERT_FALSE(s.cookie.empty());
    ASSERT_FALSE(s.token.empty());
    for (int i = 0; i < 5; ++i) {
        auto r = form_login(server.port(), s, "nobody", "wrong password");
        EXPECT_EQ(r.status, 401) << i << r.raw.substr(0, 300);
        EXPECT_NE(r.body().find("Invalid credentials"), std::string::npos);
        EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), std::to_string(4 - i)) << i;
    }
    expect_limited(form_login(server.port(), s, "nobody", "wrong password"), "sixth form login");
    server.stop();
}

TEST(ReferenceAuthSocket, ApiDataCountsPerKeyWithHeaders) {
    reference_test::App a(std::map<std::string, std::string>{{"API_DATA_RATE_LIMIT", "3 per hour"}});
    const auto key = reference::create_api_key(a.config, "socket-test", "tester");
    const auto other = reference::create_api_key(a.config, "socket-test-2", "tester");
    RunningServer server(a.app);
    for (int i = 0; i < 3; ++i) {
        auto r = exchange(server.port(), "GET", "/api/data", "X-API-Key: " + key + "\r\n");
        EXPECT_EQ(r.status, 200) << i << r.raw.substr(0, 300);
        EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "3");
        EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), std::to_string(2 - i));
        EXPECT_TRUE(r.header("X-RateLimit-Reset"));
    }
    auto limited = exchange(server.port(), "GET", "/api/data", "X-API-Key: " + key + "\r\n");
    expect_limited(limited, "fourth with one key");
    EXPECT_GT(std::stoi(limited.header("Retry-After").value_or("0")), 60);  // an hour's window
    // Per key, not per address: another key from the same address still has its quota.
    auto fresh = exchange(server.port(), "GET", "/api/data", "X-API-Key: " + other + "\r\n");
    EXPECT_EQ(fresh.status, 200);
    EXPECT_EQ(fresh.header("X-RateLimit-Remaining").value_or(""), "2");
    // A bad key is refused before any quota is counted.
    EXPECT_EQ(exchange(server.port(), "GET", "/api/data", "X-API-Key: nope\r\n").status, 401);
    server.stop();
}

TEST(ReferenceAuthSocket, AccountLocksAfterTenFailuresOnEitherPath) {
    // The address limit raised so that the account limit is the one reached from one address.
    reference_test::App a(std::map<std::string, std::string>{{"BULWARK_LOGIN_RATE_LIMIT", "100 per minute"}});
    {
        TestClient setup(a.app, "192.0.2.200");
        const auto token = reference_test::token_in(setup.get("/register").body);
        ASSERT_EQ(setup.post_form("/register", {{"username", "sam"}, {"email", "sam@example.com"},
                                                {"password", kPassword}, {"csrf_token", token}}).status,
                  303);
    }
    RunningServer server(a.app);
    const auto s = form_session(server.port());
    for (int i = 0; i < 10; ++i) {
        auto r = i % 2 ? api_login(server.port(), "sam", "wrong password")
                       : form_login(server.port(), s, "sam", "wrong password");
        EXPECT_EQ(r.status, 401) << i << r.raw.substr(0, 300);
    }
    for (bool api : {true, false}) {
        auto r = api ? api_login(server.port(), "sam", kPassword) : form_login(server.port(), s, "sam", kPassword);
        EXPECT_EQ(r.status, 429) << api << r.raw.substr(0, 300);
        const int retry = std::stoi(r.header("Retry-After").value_or("0"));
        EXPECT_GT(retry, 14 * 60) << api;
        EXPECT_LE(retry, 15 * 60) << api;
        EXPECT_FALSE(r.header("Location")) << api;  // not logged in
    }
    // Another account from the same address is unaffected.
    EXPECT_EQ(api_login(server.port(), "someone_else", "wrong password").status, 401);
    server.stop();
}
