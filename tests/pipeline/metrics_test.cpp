// The /metrics page through the default pipeline (TestClient): who may read it, what it
// counts (route patterns, refusals, 429s, security events), and that it is off by default.
#include <bulwark/pipeline.hpp>
#include <bulwark/testing.hpp>

#include "../../src/pipeline/metrics_stage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

namespace bp = bulwark::pipeline;
using bulwark::Request;
using bulwark::Response;
using bulwark::testing::TestClient;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

struct MetricsApp {
    std::filesystem::path dir;
    bulwark::Config config;
    bp::Services services;
    std::shared_ptr<bulwark::audit::MemorySink> sink = std::make_shared<bulwark::audit::MemorySink>();
    bulwark::App app;

    explicit MetricsApp(bool enable = true)
        : dir(std::filesystem::temp_directory_path() / ("bulwark-metrics-" + bulwark::crypto::random_token(8))),
          config(bulwark::Config::from_map({{"BULWARK_INSTANCE_DIR", dir.string()}})) {
        std::filesystem::create_directories(dir);
        services = bp::make_services(config);
        services.audit = std::make_shared<bulwark::audit::Logger>(sink);
        if (enable) {
            bp::enable_metrics(services, {.api_key_allows = [](std::string_view key) { return key == "good-key"; }});
        }
        bp::install_defaults(app, config, services);
        app.get("/items/<id>", [](Request&) { return Response::text("item"); });
        app.post("/change", [](Request&) { return Response::text("changed"); });
        app.get("/limited", [](Request&) { return Response::text("ok"); }).rate_limit("1 per minute");
        app.get("/boom", [](Request&) -> Response { throw std::runtime_error("boom"); });
        app.set_error_log([](std::string_view, std::string_view) {});
        services.error_log = [](std::string_view, std::string_view) {};
    }
    ~MetricsApp() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

TEST(PipelineMetrics, OffByDefault) {
    MetricsApp m(false);
    TestClient client(m.app);
    EXPECT_EQ(client.get("/metrics").status, 404);
}

TEST(PipelineMetrics, LoopbackReadsThePageInTheTextFormat) {
    MetricsApp m;
    TestClient client(m.app);
    auto r = client.get("/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(r.header("Cache-Control").value_or(""), "no-store");
    EXPECT_TRUE(r.header("Content-Security-Policy")) << "the page leaves through the headers stage";
    EXPECT_TRUE(has(r.body, "# TYPE bulwark_http_requests_total counter\n")) << r.body;
    EXPECT_TRUE(has(r.body, "# TYPE bulwark_security_events_total counter\n")) << r.body;
    EXPECT_TRUE(has(r.body, "bulwark_security_events_total{event=\"authn_login_fail\"} 0\n")) << r.body;
    EXPECT_TRUE(has(r.body, "bulwark_rate_limited_total 0\n")) << r.body;
}

TEST(PipelineMetrics, AccessTable) {
    MetricsApp m;
    struct Case { const char* name; const char* client; std::optional<std::string> key; int status; };
    const Case cases[] = {
        {"ipv4_loopback", "127.0.0.1", std::nullopt, 200},
        {"other_loopback_address", "127.0.0.53", std::nullopt, 200},
        {"ipv6_loopback", "::1", std::nullopt, 200},
        {"public_v4", "203.0.113.9", std::nullopt, 404},
        {"private_v4", "10.0.0.2", std::nullopt, 404},
        {"public_v6", "2001:db8::1", std::nullopt, 404},
        {"key_with_scope", "203.0.113.9", "good-key", 200},
        {"key_without_scope", "203.0.113.9", "other-key", 404},
        {"empty_key", "203.0.113.9", "", 404},
    };
    for (const auto& c : cases) {
        TestClient client(m.app, c.client);
        bulwark::Headers h;
        if (c.key) h.set("X-API-Key", *c.key);
        EXPECT_EQ(client.get("/metrics", h).status, c.status) << c.name;
    }
}

TEST(PipelineMetrics, IsLoopbackTable) {
    struct Case { const char* name; std::string_view address; bool loopback; };
    const Case cases[] = {
        {"v4", "127.0.0.1", true},          {"v4_range", "127.255.0.9", true},
        {"v6", "::1", true},                {"mapped", "::ffff:127.0.0.1", true},
        {"zero", "0.0.0.0", false},         {"v6_any", "::", false},
        {"public", "8.8.8.8", false},       {"name", "localhost", false},
        {"with_port", "127.0.0.1:80", false}, {"empty", "", false},
        {"prefix_trick", "127.0.0.1.evil", false},
    };
    for (const auto& c : cases) EXPECT_EQ(bp::detail::is_loopback(c.address), c.loopback) << c.name;
}

TEST(PipelineMetrics, CountsByRoutePatternNeverRawPath) {
    MetricsApp m;
    TestClient client(m.app);
    EXPECT_EQ(client.get("/items/1").status, 200);
    EXPECT_EQ(client.get("/items/2").status, 200);
    EXPECT_EQ(client.get("/no/such/path-secret-looking").status, 404);
    const auto body = client.get("/metrics").body;
    EXPECT_TRUE(has(body, "bulwark_http_requests_total{route=\"GET /items/<id>\",status=\"200\"} 2\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n")) << body;
    EXPECT_FALSE(has(body, "path-secret-looking"));
    EXPECT_FALSE(has(body, "/items/1"));
    EXPECT_TRUE(has(body, "bulwark_http_request_duration_seconds_count{route=\"GET /items/<id>\"} 2\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_http_request_duration_seconds_bucket{route=\"GET /items/<id>\",le=\"+Inf\"} 2\n"));
}

TEST(PipelineMetrics, RefusalsAndErrorsAreCounted) {
    MetricsApp m;
    TestClient client(m.app);
    EXPECT_EQ(client.post_form("/change", {{"x", "1"}}).status, 400);  // no CSRF token
    EXPECT_EQ(client.get("/limited").status, 200);
    EXPECT_EQ(client.get("/limited").status, 429);
    EXPECT_EQ(client.get("/boom").status, 500);
    const auto body = client.get("/metrics").body;
    EXPECT_TRUE(has(body, "bulwark_http_requests_total{route=\"POST /change\",status=\"400\"} 1\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_security_events_total{event=\"malicious_csrf\"} 1\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_http_requests_total{route=\"GET /limited\",status=\"429\"} 1\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_rate_limited_total 1\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_security_events_total{event=\"excess_rate_limit_exceeded\"} 1\n")) << body;
    EXPECT_TRUE(has(body, "bulwark_http_requests_total{route=\"GET /boom\",status=\"500\"} 1\n")) << body;
}

TEST(PipelineMetrics, AppMetricsShareThePage) {
    MetricsApp m;
    m.services.metrics->counter("app_widgets_total", "Widgets made.").add(3);
    TestClient client(m.app);
    const auto body = client.get("/metrics").body;
    EXPECT_TRUE(has(body, "# TYPE app_widgets_total counter\napp_widgets_total 3\n")) << body;
}

TEST(PipelineMetrics, SecondClientKeepsCounting) {
    MetricsApp m;
    {
        TestClient first(m.app);
        EXPECT_EQ(first.get("/items/1").status, 200);
    }
    TestClient second(m.app);  // runs the start checks again: the route table is kept
    EXPECT_EQ(second.get("/items/1").status, 200);
    EXPECT_TRUE(has(second.get("/metrics").body,
                    "bulwark_http_requests_total{route=\"GET /items/<id>\",status=\"200\"} 2\n"));
}

}  // namespace
