#include <bulwark/http.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>

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

// The check looks at sixteen (or eight) bytes at a time, ends with a load overlapping the last
// block, and reads a short value as two overlapping words or one padded word: a CR, LF or NUL
// at any offset of a value of any length (whole block, overlapping tail, short word), and in
// the name, must still be refused.
TEST(Headers, RefusesLineBreaksAndNulAtEveryOffset) {
    const struct {
        const char* name;
        char bad;
    } cases[] = {{"cr", '\r'}, {"lf", '\n'}, {"nul", '\0'}};
    for (const auto& c : cases) {
        for (std::size_t length : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 12u, 15u, 16u, 17u, 23u, 24u, 25u, 31u, 32u, 33u, 40u, 47u, 64u}) {
            for (std::size_t at = 0; at < length; ++at) {
                std::string value(length, 'a');
                value[at] = c.bad;
                Headers h;
                EXPECT_THROW(h.add("X", value), std::invalid_argument) << c.name << " at " << at << " of " << length;
                EXPECT_THROW(h.add(value, "v"), std::invalid_argument) << c.name << " in the name at " << at;
                EXPECT_EQ(h.size(), 0u);
            }
        }
    }
    // Bytes next to the refused ones (0x0b, 0x0c, 0x0e, 0x8d, 0x8a, 0x80) are not refused by this check.
    Headers h;
    h.add("X", std::string("\x0b\x0c\x0e\x8d\x8a\x80" "abcdefgh\t", 15));
    EXPECT_EQ(h.size(), 1u);
    // Clean values of every short and tail length pass (the padding never reads as a hit).
    for (std::size_t length = 0; length <= 40; ++length) {
        Headers clean;
        clean.add("X", std::string(length, '\x0b'));
        clean.add("Y", std::string(length, 'z'));
        EXPECT_EQ(clean.size(), 2u) << length;
    }
}

// A shared block behaves as if its fields had been added one by one at the end: lookups see
// them, fields() lists them after every field added before or after the block, and changing one
// of them (set, remove) copies the block in first.
TEST(HeaderBlock, ActsAsFieldsAddedAtTheEnd) {
    const auto block = std::make_shared<const HeaderBlock>(std::vector<Headers::Field>{
        {"X-Frame-Options", "DENY"}, {"X-Content-Type-Options", "nosniff"}, {"X-Twice", "a"}});
    EXPECT_EQ(block->head_lines(), "X-Frame-Options: DENY\r\nX-Content-Type-Options: nosniff\r\nX-Twice: a\r\n");
    const auto names = [](const Headers& h) {
        std::string out;
        for (const auto& [name, value] : h.fields()) out += name + "=" + value + ";";
        return out;
    };
    struct Case {
        const char* name;
        void (*change)(Headers&);
        const char* want;
        bool still_shared;
        std::size_t twice;  // how many X-Twice fields
    };
    const Case cases[] = {
        {"untouched", [](Headers&) {}, "Content-Type=text/plain;X-Frame-Options=DENY;X-Content-Type-Options=nosniff;X-Twice=a;", true, 1},
        {"added after", [](Headers& h) { h.add("X-Twice", "b"); },
         "Content-Type=text/plain;X-Twice=b;X-Frame-Options=DENY;X-Content-Type-Options=nosniff;X-Twice=a;", true, 2},
        {"set a block field", [](Headers& h) { h.set("x-frame-options", "SAMEORIGIN"); },
         "Content-Type=text/plain;X-Content-Type-Options=nosniff;X-Twice=a;x-frame-options=SAMEORIGIN;", false, 1},
        {"remove a block field", [](Headers& h) { h.remove("X-TWICE"); },
         "Content-Type=text/plain;X-Frame-Options=DENY;X-Content-Type-Options=nosniff;", false, 0},
        {"remove another field", [](Headers& h) { h.remove("Content-Type"); },
         "X-Frame-Options=DENY;X-Content-Type-Options=nosniff;X-Twice=a;", false, 1},
        {"a second block", [](Headers& h) {
             h.add_block(std::make_shared<const HeaderBlock>(std::vector<Headers::Field>{{"X-Second", "2"}}));
         }, "Content-Type=text/plain;X-Frame-Options=DENY;X-Content-Type-Options=nosniff;X-Twice=a;X-Second=2;", true, 1},
        {"an empty block changes nothing", [](Headers& h) {
             h.add_block(std::make_shared<const HeaderBlock>(std::vector<Headers::Field>{}));
             h.add_block(nullptr);
         }, "Content-Type=text/plain;X-Frame-Options=DENY;X-Content-Type-Options=nosniff;X-Twice=a;", true, 1},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Headers h;
        h.add("Content-Type", "text/plain");
        h.add_block(block);
        EXPECT_EQ(h.get("x-frame-options").value_or(""), "DENY");
        c.change(h);
        EXPECT_EQ(h.shared_head_lines().empty(), !c.still_shared);
        EXPECT_EQ(h.count("x-twice"), c.twice);
        const auto size = h.size();
        // The head writer's view (own fields, then the block's lines) says what fields() says.
        std::string wire;
        for (const auto& [name, value] : h.unshared_fields()) wire += name + ": " + value + "\r\n";
        wire += h.shared_head_lines();
        std::string listed;
        for (const auto& [name, value] : h.fields()) listed += name + ": " + value + "\r\n";
        EXPECT_EQ(wire, listed);
        EXPECT_EQ(names(h), c.want);
        EXPECT_EQ(h.size(), size);
        EXPECT_TRUE(h.shared_head_lines().empty()) << "fields() copies the block in";
    }
}

TEST(HeaderBlock, RefusesLineBreaksAndNul) {
    for (const auto& [name, value] : std::vector<Headers::Field>{
             {"X", "a\r\nSet-Cookie: x=1"}, {"X\n", "a"}, {"X", std::string("a\0b", 3)}, {"X", "\r"}}) {
        EXPECT_THROW(HeaderBlock({{"Ok", "1"}, {name, value}}), std::invalid_argument) << name;
    }
}

TEST(AccessLog, WritesTheDocumentedLineInOneGo) {
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    const std::string long_path = "/" + std::string(700, 'p');
    write_access_log_line(out, {"GET", "/a b", 200, 1234, std::chrono::microseconds(56), "rid-1", "127.0.0.1"});
    write_access_log_line(out, {"POST", long_path, 503, 0, std::chrono::microseconds(0), "", "::1"});
    std::rewind(out);
    std::string text(2048, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), out));
    std::fclose(out);
    EXPECT_EQ(text, "access method=GET path=\"/a b\" status=200 bytes=1234 duration_us=56 request_id=rid-1\n"
                    "access method=POST path=\"" + long_path + "\" status=503 bytes=0 duration_us=0 request_id=\n");
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
