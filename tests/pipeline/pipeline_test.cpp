// The default stages end to end through TestClient: headers on every kind of answer, CSRF
// refusals, CORS preflights, rate-limit exactness, the HTTPS redirect in production.
#include <bulwark/pipeline.hpp>
#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace bp = bulwark::pipeline;
using bulwark::Headers;
using bulwark::Request;
using bulwark::Response;
using bulwark::testing::TestClient;
using bulwark::testing::TestResponse;

namespace {

std::filesystem::path temp_instance() {
    auto dir = std::filesystem::temp_directory_path() / ("bulwark-pipeline-" + bulwark::crypto::random_token(8));
    std::filesystem::create_directories(dir);
    return dir;
}

bulwark::Config make_config(bool production = false) {
    std::map<std::string, std::string> vars{{"BULWARK_INSTANCE_DIR", temp_instance().string()},
                                            {"CORS_ORIGINS", "https://app.example.com"}};
    if (production) {
        vars["BULWARK_ENV"] = "production";
        vars["SECRET_KEY"] = bulwark::crypto::random_token(48);
    }
    return bulwark::Config::from_map(vars);
}

struct Fixture {
    bulwark::Config config;
    bp::Services services;
    bulwark::App app;
    std::atomic<int> changes{0};

    ~Fixture() {
        std::error_code ec;
        std::filesystem::remove_all(config.instance_dir, ec);
    }
    explicit Fixture(bool production = false) : config(make_config(production)) {
        services = bp::make_services(config);
        services.audit.reset();  // keep test output quiet
        bp::install_defaults(app, config, services);
        app.get("/ok", [](Request&) { return Response::text("ok"); });
        app.get("/nonce", [](Request& req) { return Response::text(bp::csp_nonce(req)); });
        app.get("/form", [](Request& req) { return Response::text(bp::csrf_token(req)); });
        app.post("/change", [this](Request&) {
            ++changes;
            return Response::text("changed");
        });
        app.post("/api/items", [](Request&) { return Response::json("{}"); }).csrf_exempt();
        app.get("/api/items", [](Request&) { return Response::json("[]"); });
        app.get("/limited", [](Request&) { return Response::text("ok"); }).rate_limit("3 per minute").name("limited");
        app.get("/api/limited", [](Request&) { return Response::json("{}"); }).rate_limit("1 per minute").name("api-limited");
        app.get("/throw", [](Request&) -> Response { throw std::runtime_error("secret detail /etc/x"); });
        app.get("/leaky", [](Request&) {
            auto r = Response::text("x");
            r.headers().set("Server", "Apache/2.4");
            r.headers().set("X-Powered-By", "PHP/5");
            return r;
        });
        app.post("/small", [](Request&) { return Response::text("x"); }).body_limit(10);
        app.get("/own-csp", [](Request&) {
            auto r = Response::text("x");
            r.headers().set("Content-Security-Policy", "default-src 'none'");
            return r;
        });
    }
};

void expect_secure_headers(const TestResponse& r, const std::string& name) {
    SCOPED_TRACE(name);
    auto csp = r.header("Content-Security-Policy");
    ASSERT_TRUE(csp) << "no CSP";
    EXPECT_NE(csp->find("'nonce-"), std::string_view::npos);
    EXPECT_NE(csp->find("frame-ancestors 'self'"), std::string_view::npos);
    EXPECT_NE(csp->find("object-src 'none'"), std::string_view::npos);
    EXPECT_NE(csp->find("base-uri 'self'"), std::string_view::npos);
    EXPECT_EQ(csp->find("unsafe-inline"), std::string_view::npos);
    EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff");
    EXPECT_EQ(r.header("X-Frame-Options").value_or(""), "SAMEORIGIN");
    EXPECT_EQ(r.header("Referrer-Policy").value_or(""), "strict-origin-when-cross-origin");
    EXPECT_EQ(r.header("Cross-Origin-Opener-Policy").value_or(""), "same-origin");
    EXPECT_TRUE(r.header("Permissions-Policy"));
    EXPECT_FALSE(r.header("Server"));
    EXPECT_FALSE(r.header("X-Powered-By"));
    EXPECT_EQ(r.headers.count("Content-Security-Policy"), 1u);
}

}  // namespace

TEST(PipelineHeaders, OnEveryKindOfAnswer) {
    Fixture f;
    TestClient c(f.app);
    for (int i = 0; i < 3; ++i) c.get("/limited");
    struct Case {
        std::string name;
        std::string method;
        std::string target;
        std::string body;
        int status;
    };
    const std::vector<Case> cases = {
        {"200", "GET", "/ok", "", 200},
        {"404", "GET", "/nope", "", 404},
        {"405", "GET", "/change", "", 405},
        {"413", "POST", "/small", std::string(100, 'x'), 413},
        {"429", "GET", "/limited", "", 429},
        {"500", "GET", "/throw", "", 500},
        {"csrf 400", "POST", "/change", "", 400},
        {"stripped", "GET", "/leaky", "", 200},
    };
    for (const auto& k : cases) {
        auto r = c.request(k.method, k.target, {}, k.body);
        EXPECT_EQ(r.status, k.status) << k.name;
        expect_secure_headers(r, k.name);
    }
}

TEST(PipelineHeaders, ErrorsLeakNothing) {
    Fixture f;
    std::string logged;
    TestClient c(f.app);
    auto r = c.get("/throw");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body.find("secret detail"), std::string::npos);
    EXPECT_EQ(r.body.find("/etc/x"), std::string::npos);
}

TEST(PipelineHeaders, NonceIsFreshAndMatchesTheSlot) {
    Fixture f;
    TestClient c(f.app);
    auto a = c.get("/nonce");
    auto b = c.get("/nonce");
    EXPECT_EQ(a.body.size(), 22u);
    EXPECT_NE(a.body, b.body);
    EXPECT_NE(a.header("Content-Security-Policy")->find("'nonce-" + a.body + "'"), std::string_view::npos);
}

TEST(PipelineHeaders, HandlerPolicyIsKept) {
    Fixture f;
    TestClient c(f.app);
    auto r = c.get("/own-csp");
    EXPECT_EQ(r.header("Content-Security-Policy").value_or(""), "default-src 'none'");
    EXPECT_EQ(r.headers.count("Content-Security-Policy"), 1u);
}

// More header names than the stage keeps on its stack (16, 512 bytes): the handler's own values
// still win and nothing is duplicated.
TEST(PipelineHeaders, HandlerWithManyHeadersKeepsItsOwn) {
    for (int extra : {0, 15, 16, 40}) {
        SCOPED_TRACE(extra);
        Fixture f;
        f.app.get("/many", [extra](Request&) {
            auto r = Response::text("x");
            for (int i = 0; i < extra; ++i) r.headers().set("X-Custom-Header-Number-" + std::to_string(i), "v");
            r.headers().set("X-Frame-Options", "DENY");
            r.headers().set("Server", "Apache/2.4");
            return r;
        });
        TestClient c(f.app);
        auto r = c.get("/many");
        EXPECT_EQ(r.header("X-Frame-Options").value_or(""), "DENY");
        EXPECT_EQ(r.headers.count("X-Frame-Options"), 1u);
        EXPECT_EQ(r.headers.count("Content-Security-Policy"), 1u);
        EXPECT_EQ(r.headers.count("X-Content-Type-Options"), 1u);
        EXPECT_FALSE(r.header("Server"));
        if (extra > 0) {
            EXPECT_EQ(r.header("X-Custom-Header-Number-0").value_or(""), "v");
        }
    }
}

TEST(PipelineHeaders, HstsOnlyOverHttps) {
    Fixture f;
    TestClient plain(f.app);
    TestClient tls(f.app, "127.0.0.1", true);
    EXPECT_FALSE(plain.get("/ok").header("Strict-Transport-Security"));
    EXPECT_EQ(tls.get("/ok").header("Strict-Transport-Security").value_or(""),
              "max-age=31536000; includeSubDomains");
}

TEST(PipelineHttps, ProductionRedirectsPlainHttp) {
    Fixture f(true);
    TestClient plain(f.app);
    auto get = plain.get("/ok?x=1", Headers{});
    EXPECT_EQ(get.status, 301);
    EXPECT_EQ(get.header("Location").value_or(""), "https://localhost/ok?x=1");
    expect_secure_headers(get, "redirect");
    auto post = plain.post_form("/change", {});
    EXPECT_EQ(post.status, 308);
    EXPECT_EQ(f.changes.load(), 0);
    Headers bad;
    bad.set("Host", "evil host");
    EXPECT_EQ(plain.get("/ok", bad).status, 400);
    TestClient tls(f.app, "127.0.0.1", true);
    EXPECT_EQ(tls.get("/ok").status, 200);
}

TEST(PipelineCsrf, RefusalsChangeNothing) {
    Fixture f;
    TestClient c(f.app);
    const std::string token = c.get("/form").body;
    ASSERT_FALSE(token.empty());
    TestClient other(f.app);
    const std::string other_token = other.get("/form").body;
    ASSERT_TRUE(c.cookie("session"));

    struct Case {
        std::string name;
        bulwark::testing::Fields fields;
        std::vector<std::pair<std::string, std::string>> headers;
        int status;
    };
    const std::vector<Case> cases = {
        {"missing", {}, {}, 400},
        {"empty", {{"csrf_token", ""}}, {}, 400},
        {"garbage", {{"csrf_token", "not-a-token"}}, {}, 400},
        {"other session's token", {{"csrf_token", other_token}}, {}, 400},
        {"cross-site fetch", {{"csrf_token", token}}, {{"Sec-Fetch-Site", "cross-site"}}, 400},
        {"foreign origin", {{"csrf_token", token}}, {{"Origin", "https://evil.example"}}, 400},
        {"null origin", {{"csrf_token", token}}, {{"Origin", "null"}}, 400},
    };
    for (const auto& k : cases) {
        Headers h;
        for (const auto& [n, v] : k.headers) h.set(n, v);
        auto r = c.post_form("/change", k.fields, h);
        EXPECT_EQ(r.status, k.status) << k.name;
    }
    EXPECT_EQ(f.changes.load(), 0);

    EXPECT_EQ(c.post_form("/change", {{"csrf_token", token}}).status, 200);
    Headers same_origin;
    same_origin.set("Origin", "http://localhost");
    EXPECT_EQ(c.post_form("/change", {{"csrf_token", c.get("/form").body}}, same_origin).status, 200);
    Headers header_token;
    header_token.set("X-CSRF-Token", token);
    EXPECT_EQ(c.request("POST", "/change", header_token, "").status, 200);
    EXPECT_EQ(f.changes.load(), 3);
}

TEST(PipelineCsrf, MultipartFormField) {
    Fixture f;
    TestClient c(f.app);
    const std::string token = c.get("/form").body;
    bulwark::testing::UploadFile file{"file", "a.txt", "text/plain", "hello"};
    EXPECT_EQ(c.post_multipart("/change", {{"csrf_token", "wrong"}}, {file}).status, 400);
    EXPECT_EQ(c.post_multipart("/change", {}, {file}).status, 400);
    EXPECT_EQ(f.changes.load(), 0);
    EXPECT_EQ(c.post_multipart("/change", {{"csrf_token", token}}, {file}).status, 200);
    EXPECT_EQ(f.changes.load(), 1);
}

TEST(PipelineCsrf, NoSessionMeansRefused) {
    Fixture f;
    TestClient c(f.app);
    auto r = c.post_form("/change", {{"csrf_token", "AAAA"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(f.changes.load(), 0);
}

TEST(PipelineCsrf, ExemptAndSafeAndUnmatchedRoutesPass) {
    Fixture f;
    TestClient c(f.app);
    EXPECT_EQ(c.post_json("/api/items", "{}").status, 200);
    EXPECT_EQ(c.get("/ok").status, 200);
    EXPECT_EQ(c.post_form("/nowhere", {}).status, 404);
}

TEST(PipelineSession, CookieHasTheSafeAttributes) {
    Fixture f;
    TestClient c(f.app);
    auto r = c.get("/form");
    ASSERT_EQ(r.set_cookies.size(), 1u);
    const auto& sc = r.set_cookies[0];
    EXPECT_EQ(sc.rfind("session=", 0), 0u);
    EXPECT_NE(sc.find("HttpOnly"), std::string::npos);
    EXPECT_NE(sc.find("SameSite=Lax"), std::string::npos);
    EXPECT_NE(sc.find("Path=/"), std::string::npos);
    // A request that does not touch the session sets no cookie.
    EXPECT_TRUE(c.get("/ok").set_cookies.empty());
}

TEST(PipelineCors, Preflights) {
    Fixture f;
    TestClient c(f.app);
    struct Case {
        std::string name;
        std::string target;
        std::string origin;
        std::string method;
        std::string req_headers;
        int status;
        bool allowed;
    };
    const std::vector<Case> cases = {
        {"allowed", "/api/items", "https://app.example.com", "POST", "Content-Type, Authorization", 204, true},
        {"allowed api key", "/api/items", "https://app.example.com", "GET", "X-API-Key", 204, true},
        {"other origin", "/api/items", "https://evil.example", "POST", "", 204, false},
        {"suffix trick", "/api/items", "https://app.example.com.evil.test", "POST", "", 204, false},
        {"null origin", "/api/items", "null", "POST", "", 204, false},
        {"method not allowed", "/api/items", "https://app.example.com", "DELETE", "", 204, false},
        {"header not allowed", "/api/items", "https://app.example.com", "POST", "X-Evil", 204, false},
    };
    for (const auto& k : cases) {
        Headers h;
        h.set("Origin", k.origin);
        h.set("Access-Control-Request-Method", k.method);
        if (!k.req_headers.empty()) h.set("Access-Control-Request-Headers", k.req_headers);
        auto r = c.request("OPTIONS", k.target, h, "");
        EXPECT_EQ(r.status, k.status) << k.name;
        EXPECT_EQ(r.header("Access-Control-Allow-Origin").has_value(), k.allowed) << k.name;
        EXPECT_NE(r.header("Vary").value_or("").find("Origin"), std::string_view::npos) << k.name;
        if (k.allowed) {
            EXPECT_EQ(r.header("Access-Control-Allow-Origin").value_or(""), k.origin);
            EXPECT_EQ(r.header("Access-Control-Allow-Methods").value_or(""), "GET, POST");
        }
        expect_secure_headers(r, k.name);
    }
}

TEST(PipelineCors, HeadersOnEveryApiAnswerAndNowhereElse) {
    Fixture f;
    TestClient c(f.app);
    Headers h;
    h.set("Origin", "https://app.example.com");
    for (const std::string target : {"/api/items", "/api/nothing", "/api/limited", "/api/limited"}) {
        auto r = c.get(target, h);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin").value_or(""), "https://app.example.com") << target << r.status;
        EXPECT_NE(r.header("Vary").value_or("").find("Origin"), std::string_view::npos) << target;
    }
    EXPECT_EQ(c.get("/api/limited", h).status, 429);
    EXPECT_FALSE(c.get("/ok", h).header("Access-Control-Allow-Origin"));
    Headers evil;
    evil.set("Origin", "https://evil.example");
    EXPECT_FALSE(c.get("/api/items", evil).header("Access-Control-Allow-Origin"));
}

TEST(PipelineRateLimit, ExactCountAndHeaders) {
    Fixture f;
    TestClient c(f.app);
    for (int i = 0; i < 3; ++i) {
        auto r = c.get("/limited");
        EXPECT_EQ(r.status, 200) << i;
        EXPECT_EQ(r.header("X-RateLimit-Limit").value_or(""), "3");
        EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), std::to_string(2 - i));
        EXPECT_TRUE(r.header("X-RateLimit-Reset"));
        EXPECT_FALSE(r.header("Retry-After"));
    }
    auto html = c.get("/limited");
    EXPECT_EQ(html.status, 429);
    EXPECT_EQ(html.header("X-RateLimit-Remaining").value_or(""), "0");
    auto retry = std::stoi(std::string(html.header("Retry-After").value_or("0")));
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 60);
    EXPECT_NE(html.header("Content-Type").value_or("").find("text/html"), std::string_view::npos);
    Headers json;
    json.set("Accept", "application/json");
    auto j = c.get("/limited", json);
    EXPECT_EQ(j.status, 429);
    EXPECT_NE(j.header("Content-Type").value_or("").find("application/json"), std::string_view::npos);
    EXPECT_NE(j.body.find("request_id"), std::string::npos);

    TestClient elsewhere(f.app, "192.0.2.7");
    EXPECT_EQ(elsewhere.get("/limited").status, 200);
    // Unlimited routes carry no quota headers.
    EXPECT_FALSE(c.get("/ok").header("X-RateLimit-Limit"));
}

TEST(PipelineInstall, RefusesAppWideCsrfExemption) {
    auto config = make_config();
    auto services = bp::make_services(config);
    services.csrf.csrf_exempt = true;
    bulwark::App app;
    EXPECT_THROW(bp::install_defaults(app, config, services), std::invalid_argument);
    std::error_code ec;
    std::filesystem::remove_all(config.instance_dir, ec);
}

// A bad limit string is caught when the app starts (the test client and App::run check the
// configuration), naming the route, never at the first request.
TEST(PipelineStart, BadRateLimitStringStopsTheStart) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"unknown unit", "5 per fortnight"},
        {"no count", "per minute"},
        {"zero", "0 per minute"},
        {"garbage after a good one", "5 per minute; x"},
    };
    for (const auto& [name, text] : cases) {
        SCOPED_TRACE(name);
        Fixture f;
        f.app.post("/login", [](Request&) { return Response::text("ok"); }).rate_limit(text);
        try {
            TestClient client(f.app);
            ADD_FAILURE() << "a bad limit string was accepted: " << text;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("route POST /login"), std::string::npos) << e.what();
        }
        EXPECT_THROW(f.app.run(bulwark::ServerOptions{.port = 0}), std::invalid_argument);
    }
}

TEST(PipelineStart, GoodRateLimitStringsStart) {
    Fixture f;
    f.app.post("/login", [](Request&) { return Response::text("ok"); }).rate_limit("200 per day; 50/hour");
    EXPECT_NO_THROW(TestClient client(f.app));
}
