#include <bulwark/http.hpp>

#include <gtest/gtest.h>

namespace bulwark {
namespace {

TEST(Cookie, SerializesSafeDefaults) {
    Cookie c{.name = "session", .value = "abc"};
    EXPECT_EQ(c.serialize(), "session=abc; Path=/; HttpOnly; SameSite=Lax");
    Cookie host{.name = "__Host-session", .value = "x", .max_age = std::chrono::seconds(60), .secure = true};
    EXPECT_EQ(host.serialize(), "__Host-session=x; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax");
}

TEST(Cookie, RefusesUnsafeShapes) {
    const struct {
        const char* name;
        Cookie cookie;
    } cases[] = {
        {"value_with_semicolon", {.name = "a", .value = "x; Domain=evil"}},
        {"value_with_crlf", {.name = "a", .value = "x\r\nSet-Cookie: b=1"}},
        {"name_with_space", {.name = "a b", .value = "x"}},
        {"host_prefix_without_secure", {.name = "__Host-a", .value = "x"}},
        {"host_prefix_with_domain", {.name = "__Host-a", .value = "x", .domain = "example.com", .secure = true}},
        {"secure_prefix_without_secure", {.name = "__Secure-a", .value = "x"}},
        {"samesite_none_without_secure", {.name = "a", .value = "x", .same_site = SameSite::none}},
        {"path_with_semicolon", {.name = "a", .value = "x", .path = "/;x"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_THROW((void)c.cookie.serialize(), std::invalid_argument);
    }
}

TEST(Headers, CaseInsensitiveAndNoSplitting) {
    Headers h;
    h.add("Content-Type", "text/plain");
    EXPECT_EQ(h.get("content-type").value_or(""), "text/plain");
    h.set("CONTENT-TYPE", "a");
    EXPECT_EQ(h.count("content-type"), 1u);
    EXPECT_THROW(h.add("X", "a\r\nSet-Cookie: x=1"), std::invalid_argument);
    EXPECT_THROW(h.add("X\n", "a"), std::invalid_argument);
}

TEST(Request, ParsesQueryAndCookies) {
    Headers h;
    h.add("Cookie", "a=1; b=\"two\"; c");
    h.add("Cookie", "d=4");
    Request req("GET", "/p?x=1&y=hello%20world&z&p=a+b", h, "");
    EXPECT_EQ(req.path(), "/p");
    EXPECT_EQ(req.query("y").value_or(""), "hello world");
    EXPECT_EQ(req.query("z").value_or("missing"), "");
    EXPECT_EQ(req.query("p").value_or(""), "a b");
    EXPECT_FALSE(req.query("w"));
    EXPECT_EQ(req.cookie("a").value_or(""), "1");
    EXPECT_EQ(req.cookie("b").value_or(""), "two");
    EXPECT_EQ(req.cookie("d").value_or(""), "4");
    EXPECT_FALSE(req.cookie("c"));
}

TEST(Request, LocalsAreTypedPerRequest) {
    struct Nonce {
        std::string value;
    };
    Request req("GET", "/", {}, "");
    EXPECT_EQ(req.find_local<Nonce>(), nullptr);
    req.local<Nonce>().value = "n";
    ASSERT_NE(req.find_local<Nonce>(), nullptr);
    EXPECT_EQ(req.find_local<Nonce>()->value, "n");
}

}  // namespace
}  // namespace bulwark
