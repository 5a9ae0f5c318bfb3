// GET /metrics on the reference app over a real loopback socket: who may read it (loopback,
// a non-loopback client through a trusted proxy, API keys with and without the `metrics`
// scope) and that the security counters move after a failed login, a CSRF refusal and a 429.
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

namespace {

// sample reads one sample's value from the page (-1 when the series is absent).
long long sample(const std::string& page, const std::string& series) {
    const auto at = page.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(page.substr(at + series.size() + 2));
}

std::string scrape(std::uint16_t port, const std::string& headers = {}) {
    auto r = exchange(port, "GET", "/metrics", headers);
    EXPECT_EQ(r.status, 200) << r.raw.substr(0, 300);
    return r.body();
}

const std::string kLoginFail = R"(bulwark_security_events_total{event="authn_login_fail"})";
const std::string kCsrf = R"(bulwark_security_events_total{event="malicious_csrf"})";
const std::string kLimited = "bulwark_rate_limited_total";

TEST(ReferenceMetricsSocket, CountersMoveAfterFailedLoginCsrfRefusalAnd429) {
    reference_test::App a;
    RunningServer server(a.app);
    const auto port = server.port();
    const auto before = scrape(port);
    EXPECT_EQ(sample(before, kLoginFail), 0) << before;
    EXPECT_EQ(sample(before, kCsrf), 0);
    EXPECT_EQ(sample(before, kLimited), 0);

    // A failed login (JSON API), then four more and a sixth that the route's limit refuses.
    for (int i = 0; i < 6; ++i)
        exchange(port, "POST", "/api/login", "Content-Type: application/json\r\n",
                 R"({"username": "nobody", "password": "wrong password"})");
    // A CSRF refusal: a form post with a session but no token.
    const auto page = exchange(port, "GET", "/login", "");
    static const std::regex cookie_re(R"re(\r\nSet-Cookie: ([^=;\s]+=[^;\r]+))re");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(page.raw, m, cookie_re));
    auto refused = exchange(port, "POST", "/login",
                            "Content-Type: application/x-www-form-urlencoded\r\nCookie: " + m[1].str() + "\r\n",
                            "username=a&password=b");
    EXPECT_EQ(refused.status, 400);

    const auto after = scrape(port);
    EXPECT_EQ(sample(after, kLoginFail), 5) << after;
    EXPECT_EQ(sample(after, kCsrf), 1) << after;
    EXPECT_EQ(sample(after, kLimited), 1) << after;
    EXPECT_EQ(sample(after, R"(bulwark_http_requests_total{route="POST /api/login",status="401"})"), 5) << after;
    EXPECT_EQ(sample(after, R"(bulwark_http_requests_total{route="POST /api/login",status="429"})"), 1);
    EXPECT_EQ(sample(after, R"(bulwark_http_requests_total{route="POST /login",status="400"})"), 1);
    EXPECT_EQ(sample(after, R"(bulwark_http_request_duration_seconds_count{route="POST /api/login"})"), 6);
    server.stop();
}

TEST(ReferenceMetricsSocket, UnknownPathsShareOneLabel) {
    reference_test::App a;
    RunningServer server(a.app);
    EXPECT_EQ(exchange(server.port(), "GET", "/wp-admin/setup.php?x=1", "").status, 404);
    EXPECT_EQ(exchange(server.port(), "GET", "/uploads/424242", "").status != 500, true);
    const auto page = scrape(server.port());
    EXPECT_EQ(sample(page, R"(bulwark_http_requests_total{route="unmatched",status="404"})"), 1) << page;
    EXPECT_EQ(page.find("wp-admin"), std::string::npos) << "a raw path became a label";
    EXPECT_EQ(page.find("424242"), std::string::npos) << "a raw path became a label";
    server.stop();
}

TEST(ReferenceMetricsSocket, NonLoopbackClientNeedsAKeyWithTheMetricsScope) {
    reference_test::App a;
    const auto metrics_key = reference::create_api_key(a.config, "prometheus", "ops", {"metrics"});
    const auto data_key = reference::create_api_key(a.config, "ci", "ops");
    // The loopback peer is a trusted proxy that says the client is 203.0.113.9.
    bulwark::ServerOptions options;
    options.trusted_proxies = *bulwark::config::TrustedProxies::parse("127.0.0.1");
    RunningServer server(a.app, options);
    const std::string remote = "X-Forwarded-For: 203.0.113.9\r\n";
    struct Case { const char* name; std::string headers; int status; };
    const Case cases[] = {
        {"loopback", "", 200},
        {"forged_loopback_before_real_client", "X-Forwarded-For: 127.0.0.1, 203.0.113.9\r\n", 404},
        {"remote_client", remote, 404},
        {"remote_with_metrics_key", remote + "X-API-Key: " + metrics_key + "\r\n", 200},
        {"remote_with_data_key", remote + "X-API-Key: " + data_key + "\r\n", 404},
        {"remote_with_garbage_key", remote + "X-API-Key: bk_not_a_key\r\n", 404},
    };
    for (const auto& c : cases) {
        auto r = exchange(server.port(), "GET", "/metrics", c.headers);
        EXPECT_EQ(r.status, c.status) << c.name << "\n" << r.raw.substr(0, 300);
        if (c.status == 404) {
            EXPECT_EQ(r.body().find("bulwark_"), std::string::npos) << c.name;
        }
    }
    // Each refusal is in the security log (and so on the page), the 404 notwithstanding.
    const auto page = exchange(server.port(), "GET", "/metrics", "").body();
    EXPECT_EQ(sample(page, R"(bulwark_security_events_total{event="authz_fail"})"), 4) << page;
    server.stop();
}

}  // namespace
