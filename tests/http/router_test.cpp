#include <bulwark/http.hpp>
#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

namespace bulwark {
namespace {

void add_routes(App& app) {
    app.get("/", [](Request&) { return Response::text("home"); });
    app.get("/uploads/<id>", [](Request& req) { return Response::text("file " + std::string(req.param("id"))); });
    app.post("/uploads/<id>", [](Request&) { return Response::text("posted"); });
    app.get("/users/<user>/posts/<post>", [](Request& req) {
        return Response::text(std::string(req.param("user")) + "/" + std::string(req.param("post")));
    });
    app.get("/boom", [](Request&) -> Response { throw std::runtime_error("secret detail /etc/passwd"); });
    app.get("/teapot", [](Request&) -> Response { throw HttpError(418, "no coffee"); });
    app.post("/small", [](Request& req) { return Response::text(std::to_string(req.body().size())); })
        .body_limit(10);
    app.get("/api/thing", [](Request&) { return Response::json("{}"); });
}

TEST(Router, TableOfRequests) {
    App app;
    add_routes(app);
    testing::TestClient client(app);
    const struct {
        const char* name;
        const char* method;
        const char* target;
        int status;
        const char* body_contains;
    } cases[] = {
        {"static", "GET", "/", 200, "home"},
        {"parameter", "GET", "/uploads/abc", 200, "file abc"},
        {"two_parameters", "GET", "/users/ada/posts/7", 200, "ada/7"},
        {"percent_decoded_parameter", "GET", "/uploads/a%20b", 200, "file a b"},
        {"encoded_slash_never_fills_a_parameter", "GET", "/uploads/a%2Fb", 404, ""},
        {"empty_parameter", "GET", "/uploads/", 404, "Request id"},
        {"unknown", "GET", "/nope", 404, "Request id"},
        {"too_many_segments", "GET", "/uploads/a/b", 404, ""},
        {"method_not_allowed", "DELETE", "/uploads/abc", 405, ""},
        {"head_is_get_without_body", "HEAD", "/", 200, ""},
        {"options_lists_methods", "OPTIONS", "/uploads/x", 204, ""},
        {"query_ignored_for_matching", "GET", "/?a=1", 200, "home"},
        {"bad_percent_escape", "GET", "/uploads/%zz", 400, ""},
        {"nul_in_path", "GET", "/uploads/a%00b", 400, ""},
        {"absolute_form_refused", "GET", "http://evil/", 400, ""},
        {"exception_is_generic", "GET", "/boom", 500, "Request id"},
        {"http_error_status", "GET", "/teapot", 418, ""},
        {"api_errors_are_json", "GET", "/api/nope", 404, "\"request_id\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = client.request(c.method, c.target, {}, {});
        EXPECT_EQ(r.status, c.status);
        EXPECT_NE(r.body.find(c.body_contains), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("/etc/passwd"), std::string::npos);
        EXPECT_FALSE(r.header("Server").has_value());
    }
}

TEST(Router, AllowHeaderOn405AndOptions) {
    App app;
    add_routes(app);
    testing::TestClient client(app);
    auto r = client.request("DELETE", "/uploads/1", {}, {});
    ASSERT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD, POST, OPTIONS");
    auto o = client.request("OPTIONS", "/uploads/1", {}, {});
    EXPECT_EQ(o.header("Allow").value_or(""), "GET, HEAD, POST, OPTIONS");
}

TEST(Router, HeadKeepsNoBody) {
    App app;
    add_routes(app);
    testing::TestClient client(app);
    EXPECT_TRUE(client.request("HEAD", "/", {}, {}).body.empty());
}

TEST(Router, BodyAndHeaderLimits) {
    App app;
    add_routes(app);
    testing::TestClient client(app);
    EXPECT_EQ(client.request("POST", "/small", {}, "0123456789").status, 200);
    EXPECT_EQ(client.request("POST", "/small", {}, "0123456789x").status, 413);
    Headers big;
    big.set("X-Big", std::string(17 * 1024, 'a'));
    EXPECT_EQ(client.request("GET", "/", big, {}).status, 431);
}

TEST(Router, DuplicateAndMalformedRoutesRefusedAtStart) {
    App app;
    app.get("/a", [](Request&) { return Response::text("a"); });
    EXPECT_THROW(app.get("/a", [](Request&) { return Response::text("b"); }), std::invalid_argument);
    EXPECT_THROW(app.get("no-slash", [](Request&) { return Response::text(""); }), std::invalid_argument);
    EXPECT_THROW(app.get("/x<id>", [](Request&) { return Response::text(""); }), std::invalid_argument);
}

TEST(Middleware, RunsInOrderAroundTheHandler) {
    App app;
    app.get("/", [](Request&) { return Response::text("h"); });
    app.use([](Request& req, const Next& next) {
        Response r = next(req);
        r.set_body("1(" + r.body() + ")");
        return r;
    });
    app.use([](Request& req, const Next& next) {
        Response r = next(req);
        r.set_body("2(" + r.body() + ")");
        return r;
    });
    testing::TestClient client(app);
    EXPECT_EQ(client.get("/").body, "1(2(h))");
    // Refusals made before routing pass through the same stages.
    EXPECT_NE(client.get("/missing").body.find("1(2("), std::string::npos);
}

TEST(TestClient, CookieJarFollowsSetCookie) {
    App app;
    app.get("/set", [](Request&) {
        Response r = Response::text("ok");
        r.set_cookie({.name = "a", .value = "1"});
        return r;
    });
    app.get("/clear", [](Request&) {
        Response r = Response::text("ok");
        r.set_cookie({.name = "a", .value = "", .max_age = std::chrono::seconds(0)});
        return r;
    });
    app.get("/echo", [](Request& req) { return Response::text(std::string(req.cookie("a").value_or("none"))); });
    testing::TestClient client(app);
    client.get("/set");
    EXPECT_EQ(client.get("/echo").body, "1");
    client.get("/clear");
    EXPECT_EQ(client.get("/echo").body, "none");
}

}  // namespace
}  // namespace bulwark
