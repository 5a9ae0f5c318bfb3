// The reference app's contract (spec/reference-app.md), route by route, in process.
#include "fixture.hpp"

#include <bulwark/webhook.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>
#include <vector>

using bulwark::Headers;
using bulwark::testing::TestClient;
using bulwark::testing::TestResponse;
using reference_test::kPassword;
using reference_test::token_in;

namespace {

void expect_contract_headers(const TestResponse& r, const std::string& what) {
    SCOPED_TRACE(what);
    auto csp = std::string(r.header("Content-Security-Policy").value_or(""));
    EXPECT_NE(csp.find("'nonce-"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_NE(csp.find("frame-ancestors 'self'"), std::string::npos);
    EXPECT_EQ(r.header("X-Content-Type-Options").value_or(""), "nosniff");
    EXPECT_EQ(r.header("X-Frame-Options").value_or(""), "SAMEORIGIN");
    EXPECT_EQ(r.header("Referrer-Policy").value_or(""), "strict-origin-when-cross-origin");
    EXPECT_EQ(r.header("Cross-Origin-Opener-Policy").value_or(""), "same-origin");
    EXPECT_TRUE(r.header("Permissions-Policy"));
    EXPECT_FALSE(r.header("Server"));
}

boost::json::object json_of(const TestResponse& r) {
    auto v = boost::json::parse(r.body);
    return v.is_object() ? v.as_object() : boost::json::object{};
}

std::string str(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

Headers bearer(const std::string& token) {
    Headers h;
    h.set("Authorization", "Bearer " + token);
    return h;
}

// register_user goes through the form, CSRF token included.
TestResponse register_user(TestClient& c, const std::string& name, const std::string& password = kPassword,
                           const std::string& email = "user@example.com") {
    const auto token = token_in(c.get("/register").body);
    return c.post_form("/register", {{"username", name}, {"email", email}, {"password", password},
                                     {"csrf_token", token}});
}

TestResponse login_form(TestClient& c, const std::string& name, const std::string& password,
                        const std::string& next = "") {
    const auto token = token_in(c.get("/login").body);
    bulwark::testing::Fields f{{"username", name}, {"password", password}, {"csrf_token", token}};
    if (!next.empty()) f.emplace_back("next", next);
    return c.post_form("/login", f);
}

}  // namespace

// Each suite runs on every backend this executable is built for (fixture.hpp).
class ReferenceApi : public reference_test::BackendTest {};
class ReferencePages : public reference_test::BackendTest {};
class ReferenceProduction : public reference_test::BackendTest {};

TEST_P(ReferencePages, HomeAndStaticCss) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    auto home = c.get("/");
    EXPECT_EQ(home.status, 200);
    EXPECT_NE(home.body.find("/static/style.css"), std::string::npos);
    EXPECT_EQ(home.body.find("<script"), std::string::npos);
    EXPECT_EQ(home.body.find("<style"), std::string::npos);
    EXPECT_EQ(home.body.find("style="), std::string::npos);
    expect_contract_headers(home, "home");
    EXPECT_TRUE(home.set_cookies.empty());  // no form, no session for an anonymous visit
    auto css = c.get("/static/style.css");
    EXPECT_EQ(css.status, 200);
    EXPECT_NE(css.header("Content-Type").value_or("").find("text/css"), std::string_view::npos);
    for (const std::string bad : {"/static/..%2Freference_app.cpp", "/static/.hidden", "/static/nope.css",
                                  "/static/%2e%2e"}) {
        EXPECT_EQ(c.get(bad).status == 404 || c.get(bad).status == 400, true) << bad;
    }
    auto missing = c.get("/no-such-page");
    EXPECT_EQ(missing.status, 404);
    expect_contract_headers(missing, "404");
}

TEST_P(ReferencePages, RegisterValidation) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    auto form = c.get("/register");
    EXPECT_EQ(form.status, 200);
    const auto token = token_in(form.body);
    ASSERT_FALSE(token.empty());
    struct Case {
        std::string name;
        bulwark::testing::Fields fields;
        std::string bad_field;
    };
    const std::vector<Case> cases = {
        {"short username", {{"username", "ab"}, {"email", "a@example.com"}, {"password", kPassword}}, "username"},
        {"bad username chars", {{"username", "a b<"}, {"email", "a@example.com"}, {"password", kPassword}}, "username"},
        {"long username", {{"username", std::string(21, 'a')}, {"email", "a@example.com"}, {"password", kPassword}}, "username"},
        {"bad email", {{"username", "alice"}, {"email", "not-an-email"}, {"password", kPassword}}, "email"},
        {"short password", {{"username", "alice"}, {"email", "a@example.com"}, {"password", "short"}}, "password"},
        {"common password", {{"username", "alice"}, {"email", "a@example.com"}, {"password", "password1234"}}, "password"},
        {"age too high", {{"username", "alice"}, {"email", "a@example.com"}, {"password", kPassword}, {"age", "151"}}, "age"},
        {"age not a number", {{"username", "alice"}, {"email", "a@example.com"}, {"password", kPassword}, {"age", "1e3"}}, "age"},
    };
    for (auto k : cases) {
        k.fields.emplace_back("csrf_token", token);
        auto r = c.post_form("/register", k.fields);
        EXPECT_EQ(r.status, 400) << k.name;
        const auto body = json_of(r);
        const auto* errors = body.if_contains("errors");
        ASSERT_TRUE(errors && errors->is_object()) << k.name << r.body;
        EXPECT_TRUE(errors->as_object().contains(k.bad_field)) << k.name << r.body;
    }
}

TEST_P(ReferencePages, RegisterLoginLogout) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    // Without the CSRF token nothing is created.
    EXPECT_EQ(c.post_form("/register", {{"username", "alice"}, {"email", "a@example.com"}, {"password", kPassword}}).status, 400);
    auto created = register_user(c, "alice");
    EXPECT_EQ(created.status, 303);
    EXPECT_EQ(created.header("Location").value_or(""), "/login");
    EXPECT_EQ(register_user(c, "alice").status, 409);

    auto wrong = login_form(c, "alice", "wrong password here");
    auto unknown = login_form(c, "nobody", "wrong password here");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_NE(wrong.body.find("Invalid credentials"), std::string::npos);
    EXPECT_NE(unknown.body.find("Invalid credentials"), std::string::npos);

    const auto before = c.cookie("session");
    auto ok = login_form(c, "alice", kPassword, "/comments");
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.header("Location").value_or(""), "/comments");
    ASSERT_TRUE(c.cookie("session"));
    EXPECT_NE(c.cookie("session"), before);  // a new session id at login
    auto home = c.get("/");
    EXPECT_NE(home.body.find("alice"), std::string::npos);
    EXPECT_EQ(home.header("Cache-Control").value_or(""), "no-store");

    const auto logged_in_cookie = *c.cookie("session");
    auto out = c.post_form("/logout", {{"csrf_token", token_in(home.body)}});
    EXPECT_EQ(out.status, 303);
    EXPECT_EQ(out.header("Location").value_or(""), "/");
    EXPECT_TRUE(out.header("Clear-Site-Data"));
    EXPECT_EQ(c.get("/").body.find("Signed in as alice"), std::string::npos);
    // The old cookie is dead on the server, not only in this browser.
    TestClient replay(a.app);
    replay.set_cookie("session", logged_in_cookie);
    EXPECT_EQ(replay.get("/").body.find("Signed in as alice"), std::string::npos);
}

TEST_P(ReferencePages, LoginNextIsLocalOnly) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "bob").status, 303);
    for (const std::string next : {"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"}) {
        TestClient fresh(a.app);
        auto r = login_form(fresh, "bob", kPassword, next);
        EXPECT_EQ(r.status, 303) << next;
        EXPECT_EQ(r.header("Location").value_or(""), "/") << next;
    }
}

TEST_P(ReferencePages, CommentsAreEscapedAndNewestFirst) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "carol").status, 303);
    // Anonymous: sent to log in.
    auto anon = c.post_form("/comment", {{"comment", "hi"}, {"csrf_token", token_in(c.get("/register").body)}});
    EXPECT_EQ(anon.status, 303);
    EXPECT_EQ(anon.header("Location").value_or(""), "/login?next=/comment");
    ASSERT_EQ(login_form(c, "carol", kPassword).status, 303);
    auto page = c.get("/comments");
    const auto token = token_in(page.body);
    EXPECT_EQ(c.post_form("/comment", {{"comment", "first"}, {"csrf_token", token}}).status, 303);
    EXPECT_EQ(c.post_form("/comment", {{"comment", "<script>alert(1)</script>"}, {"csrf_token", token}}).status, 303);
    EXPECT_EQ(c.post_form("/comment", {{"comment", ""}, {"csrf_token", token}}).status, 400);
    EXPECT_EQ(c.post_form("/comment", {{"comment", std::string(2001, 'x')}, {"csrf_token", token}}).status, 400);
    EXPECT_EQ(c.post_form("/comment", {{"comment", "no token"}}).status, 400);
    TestClient anyone(a.app);
    auto list = anyone.get("/comments");
    EXPECT_EQ(list.status, 200);
    EXPECT_EQ(list.body.find("<script>alert(1)"), std::string::npos);
    EXPECT_NE(list.body.find("&lt;script&gt;alert(1)"), std::string::npos);
    EXPECT_LT(list.body.find("alert(1)"), list.body.find("first"));
    EXPECT_NE(list.body.find("carol"), std::string::npos);
    EXPECT_EQ(list.body.find("no token"), std::string::npos);
}

TEST_P(ReferencePages, UpdateProfile) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "dave").status, 303);
    ASSERT_EQ(login_form(c, "dave", kPassword).status, 303);
    const auto token = token_in(c.get("/").body);
    EXPECT_EQ(c.post_form("/update-profile", {{"email", "bad"}, {"csrf_token", token}}).status, 400);
    auto ok = c.post_form("/update-profile", {{"email", "dave.new@example.com"}, {"csrf_token", token}});
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.header("Location").value_or(""), "/");
    // The new address waits for the link mailed to it (account_recovery_test.cpp follows it).
    auto db = bulwark::db::Database::open(a.config.database_url);
    ASSERT_TRUE(db);
    auto email = db->one<std::string>("SELECT email FROM users WHERE username = ?", "dave");
    ASSERT_TRUE(email && *email);
    EXPECT_EQ(**email, "user@example.com");
}

TEST_P(ReferenceApi, LoginTokensRefreshLogout) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "erin").status, 303);
    auto bad = c.post_json("/api/login", R"({"username": "erin", "password": "nope nope nope"})");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(str(json_of(bad), "msg"), "Bad credentials");
    auto unknown = c.post_json("/api/login", R"({"username": "nobody", "password": "nope nope nope"})");
    EXPECT_EQ(unknown.body, bad.body);
    auto ok = c.post_json("/api/login", R"({"username": "erin", "password": ")" + kPassword + R"("})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    expect_contract_headers(ok, "api login");
    const auto access = str(json_of(ok), "access_token");
    const auto refresh = str(json_of(ok), "refresh_token");
    ASSERT_FALSE(access.empty());
    ASSERT_FALSE(refresh.empty());

    auto me = c.get("/api/protected", bearer(access));
    EXPECT_EQ(me.status, 200);
    EXPECT_EQ(str(json_of(me), "logged_in_as"), "erin");

    // alg:none with the same claims, a tampered signature, a refresh token, nothing at all.
    const auto dot = access.find('.');
    const auto none = bulwark::crypto::base64url_encode(bulwark::crypto::as_bytes(R"({"alg":"none","typ":"JWT"})")) +
                      access.substr(dot, access.rfind('.') - dot) + ".";
    std::string tampered = access;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    struct Case {
        std::string name;
        Headers headers;
    };
    Headers malformed;
    malformed.set("Authorization", "Basic abc");
    const std::vector<Case> refused = {
        {"missing", {}}, {"malformed", malformed}, {"alg none", bearer(none)},
        {"bad signature", bearer(tampered)}, {"refresh as access", bearer(refresh)}, {"garbage", bearer("a.b.c")}};
    for (const auto& k : refused) {
        auto r = c.get("/api/protected", k.headers);
        EXPECT_EQ(r.status, 401) << k.name;
        EXPECT_FALSE(str(json_of(r), "msg").empty()) << k.name;
    }

    EXPECT_EQ(c.request("POST", "/api/refresh", bearer(access), "").status, 401);
    auto renewed = c.request("POST", "/api/refresh", bearer(refresh), "");
    ASSERT_EQ(renewed.status, 200);
    const auto access2 = str(json_of(renewed), "access_token");
    EXPECT_EQ(c.get("/api/protected", bearer(access2)).status, 200);

    EXPECT_EQ(c.request("POST", "/api/logout", bearer(access), "").status, 200);
    EXPECT_EQ(c.get("/api/protected", bearer(access)).status, 401);
    EXPECT_EQ(c.get("/api/protected", bearer(access2)).status, 200);
    EXPECT_EQ(c.request("POST", "/api/logout", {}, "").status, 401);
}

TEST_P(ReferenceApi, LoginIsLimitedToFivePerMinute) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    for (int i = 0; i < 5; ++i) {
        auto r = c.post_json("/api/login", R"({"username": "x", "password": "y"})");
        EXPECT_EQ(r.status, 401) << i;
        EXPECT_EQ(r.header("X-RateLimit-Remaining").value_or(""), std::to_string(4 - i));
    }
    auto limited = c.post_json("/api/login", R"({"username": "x", "password": "y"})");
    EXPECT_EQ(limited.status, 429);
    EXPECT_TRUE(limited.header("Retry-After"));
    expect_contract_headers(limited, "429");
    TestClient other(a.app, "198.51.100.9");
    EXPECT_EQ(other.post_json("/api/login", R"({"username": "x", "password": "y"})").status, 401);
}

TEST_P(ReferenceApi, Webhook) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    const std::string body = R"({"event": "ping"})";
    const auto sig = bulwark::webhook::sign_sha256_header(bulwark::crypto::as_bytes(reference_test::kWebhookSecret),
                                                          bulwark::crypto::as_bytes(body));
    Headers good;
    good.set("X-Signature-256", sig);
    auto ok = c.post_json("/api/webhook", body, good);
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(json_of(ok).at("success"), true);
    Headers wrong;
    wrong.set("X-Signature-256", "sha256=" + std::string(64, '0'));
    EXPECT_EQ(c.post_json("/api/webhook", body, wrong).status, 401);
    EXPECT_EQ(c.post_json("/api/webhook", body).status, 401);
    EXPECT_EQ(c.post_json("/api/webhook", body + " ", good).status, 401);
}

TEST_P(ReferenceApi, DataNeedsAKeyAndIsLimitedPerKey) {
    reference_test::App a(GetParam());
    const auto key = reference::create_api_key(a.config, "test", "erin");
    TestClient c(a.app);
    Headers h;
    h.set("X-API-Key", key);
    auto ok = c.get("/api/data", h);
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(str(json_of(ok), "data"), "sensitive information");
    EXPECT_EQ(ok.header("X-RateLimit-Limit").value_or(""), "100");
    EXPECT_EQ(ok.header("X-RateLimit-Remaining").value_or(""), "99");
    const std::vector<std::string> bad_keys = {"", "bk_nope", key.substr(0, key.size() - 1) + (key.back() == 'a' ? "b" : "a")};
    for (const auto& bad : bad_keys) {
        Headers b;
        if (!bad.empty()) b.set("X-API-Key", bad);
        auto r = c.get("/api/data", b);
        EXPECT_EQ(r.status, 401) << bad;
        EXPECT_EQ(str(json_of(r), "error"), "Invalid API key");
    }
    for (int i = 0; i < 99; ++i) ASSERT_EQ(c.get("/api/data", h).status, 200) << i;
    auto limited = c.get("/api/data", h);
    EXPECT_EQ(limited.status, 429);
    EXPECT_TRUE(limited.header("Retry-After"));
}

TEST_P(ReferenceApi, CorsOnApiOnly) {
    reference_test::App a(GetParam());
    TestClient c(a.app);
    Headers pre;
    pre.set("Origin", "https://app.example.com");
    pre.set("Access-Control-Request-Method", "POST");
    pre.set("Access-Control-Request-Headers", "Content-Type, Authorization");
    auto r = c.request("OPTIONS", "/api/login", pre, "");
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin").value_or(""), "https://app.example.com");
    EXPECT_EQ(r.header("Access-Control-Allow-Methods").value_or(""), "GET, POST");
    pre.set("Origin", "https://evil.example");
    EXPECT_FALSE(c.request("OPTIONS", "/api/login", pre, "").header("Access-Control-Allow-Origin"));
    Headers origin;
    origin.set("Origin", "https://app.example.com");
    EXPECT_FALSE(c.get("/", origin).header("Access-Control-Allow-Origin"));
    EXPECT_EQ(c.get("/api/protected", origin).header("Access-Control-Allow-Origin").value_or(""),
              "https://app.example.com");
}

TEST_P(ReferencePages, UploadAndDownload) {
    reference_test::App a(GetParam(), std::map<std::string, std::string>{{"MAX_CONTENT_LENGTH", "4096"}});
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "frank").status, 303);
    ASSERT_EQ(login_form(c, "frank", kPassword).status, 303);
    const auto token = token_in(c.get("/").body);
    using bulwark::testing::UploadFile;
    const UploadFile text{"file", "notes.txt", "text/plain", "hello, world\n"};

    struct Case {
        std::string name;
        bulwark::testing::Fields fields;
        std::vector<UploadFile> files;
        int status;
        std::string error;
    };
    const std::vector<Case> refused = {
        {"no csrf", {}, {text}, 400, ""},
        {"no file part", {{"csrf_token", token}}, {}, 400, "No file part"},
        {"no selected file", {{"csrf_token", token}}, {{"file", "", "application/octet-stream", ""}}, 400, "No selected file"},
        {"html", {{"csrf_token", token}}, {{"file", "x.html", "text/html", "<script>alert(1)</script>"}}, 400, "File type not allowed"},
        {"png that is html", {{"csrf_token", token}}, {{"file", "x.png", "image/png", "<html><script>alert(1)</script>"}}, 400, "File type not allowed"},
        {"too large", {{"csrf_token", token}}, {{"file", "big.txt", "text/plain", std::string(8192, 'a')}}, 413, ""},
    };
    for (const auto& k : refused) {
        auto r = c.post_multipart("/upload", k.fields, k.files);
        EXPECT_EQ(r.status, k.status) << k.name << " " << r.body;
        if (!k.error.empty()) {
            EXPECT_EQ(str(json_of(r), "error"), k.error) << k.name;
        }
    }

    auto ok = c.post_multipart("/upload", {{"csrf_token", token}}, {text});
    ASSERT_EQ(ok.status, 201) << ok.body;
    const auto meta = json_of(ok);
    const auto id = str(meta, "id");
    EXPECT_EQ(str(meta, "filename"), "notes.txt");
    EXPECT_EQ(meta.at("size").to_number<std::int64_t>(), 13);
    EXPECT_NE(str(meta, "content_type").find("text/plain"), std::string::npos);

    auto got = c.get("/uploads/" + id);
    EXPECT_EQ(got.status, 200);
    EXPECT_NE(got.header("Content-Disposition").value_or("").find("attachment"), std::string_view::npos);
    EXPECT_EQ(got.header("X-Content-Type-Options").value_or(""), "nosniff");

    TestClient other(a.app);
    ASSERT_EQ(register_user(other, "grace").status, 303);
    ASSERT_EQ(login_form(other, "grace", kPassword).status, 303);
    EXPECT_EQ(other.get("/uploads/" + id).status, 404);
    EXPECT_EQ(c.get("/uploads/" + std::string(43, 'A')).status, 404);
    EXPECT_EQ(c.get("/uploads/..%2Fsecret_key").status, 404);
    TestClient anonymous(a.app);
    EXPECT_EQ(anonymous.get("/uploads/" + id).status, 303);
}

TEST_P(ReferenceProduction, SecureCookiesHstsAndRedirect) {
    reference_test::App a(GetParam(), std::map<std::string, std::string>{
        {"BULWARK_ENV", "production"}, {"SECRET_KEY", bulwark::crypto::random_token(48)},
        {"SMTP_URL", "smtp://mail.example.com:587"}, {"PUBLIC_URL", "https://localhost"}});
    TestClient plain(a.app);
    auto redirect = plain.get("/register");
    EXPECT_EQ(redirect.status, 301);
    EXPECT_EQ(redirect.header("Location").value_or(""), "https://localhost/register");
    TestClient tls(a.app, "127.0.0.1", true);
    auto page = tls.get("/register");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.header("Strict-Transport-Security").value_or(""), "max-age=31536000; includeSubDomains");
    ASSERT_EQ(page.set_cookies.size(), 1u);
    EXPECT_EQ(page.set_cookies[0].rfind("__Host-session=", 0), 0u) << page.set_cookies[0];
    EXPECT_NE(page.set_cookies[0].find("Secure"), std::string::npos);
    EXPECT_NE(page.set_cookies[0].find("HttpOnly"), std::string::npos);
    EXPECT_NE(page.set_cookies[0].find("SameSite=Lax"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(, ReferenceApi, reference_test::backends(), reference_test::backend_name);
INSTANTIATE_TEST_SUITE_P(, ReferencePages, reference_test::backends(), reference_test::backend_name);
INSTANTIATE_TEST_SUITE_P(, ReferenceProduction, reference_test::backends(), reference_test::backend_name);
