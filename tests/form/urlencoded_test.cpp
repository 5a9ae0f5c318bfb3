#include <bulwark/form.hpp>

#include <gtest/gtest.h>

namespace bulwark::form {
namespace {

struct GoodCase {
    const char* name;
    std::string body;
    std::vector<std::pair<std::string, std::string>> expected;
};

TEST(Urlencoded, GoodInputs) {
    const GoodCase cases[] = {
        {"empty", "", {}},
        {"one", "a=1", {{"a", "1"}}},
        {"plus_is_space", "q=hello+world", {{"q", "hello world"}}},
        {"percent", "q=%41%62%2B%26", {{"q", "Ab+&"}}},
        {"utf8", "name=%C3%A9t%C3%A9", {{"name", "\xC3\xA9t\xC3\xA9"}}},
        {"raw_utf8", "name=\xC3\xA9", {{"name", "\xC3\xA9"}}},
        {"repeated_keys_kept", "tag=a&tag=b&x=1", {{"tag", "a"}, {"tag", "b"}, {"x", "1"}}},
        {"no_equals", "flag&x=1", {{"flag", ""}, {"x", "1"}}},
        {"empty_segments_skipped", "&&a=1&&", {{"a", "1"}}},
        {"empty_value", "a=", {{"a", ""}}},
        {"equals_in_value", "a=b=c", {{"a", "b=c"}}},
        {"encoded_key", "f%20o=1", {{"f o", "1"}}},
        {"lowercase_hex", "a=%c3%a9", {{"a", "\xC3\xA9"}}},
    };
    for (const auto& c : cases) {
        auto r = parse_urlencoded(c.body);
        ASSERT_TRUE(r.ok()) << c.name << ": " << parse_error_name(r.error());
        EXPECT_EQ(r->items(), c.expected) << c.name;
    }
}

struct BadCase {
    const char* name;
    std::string body;
    ParseError expected;
};

TEST(Urlencoded, AttackTable) {
    UrlencodedLimits small{.max_size = 64, .max_fields = 3, .max_key = 8, .max_value = 10};
    const BadCase cases[] = {
        {"truncated_escape", "a=%4", ParseError::bad_escape},
        {"escape_at_end", "a=%", ParseError::bad_escape},
        {"non_hex_escape", "a=%zz", ParseError::bad_escape},
        {"half_hex_escape", "a=%4g", ParseError::bad_escape},
        {"escape_in_key", "%x1=1", ParseError::bad_escape},
        {"invalid_utf8_byte", "a=%FF", ParseError::invalid_utf8},
        {"overlong_slash", "a=%C0%AF", ParseError::invalid_utf8},
        {"surrogate", "a=%ED%A0%80", ParseError::invalid_utf8},
        {"truncated_sequence", "a=%C3", ParseError::invalid_utf8},
        {"above_max_code_point", "a=%F4%90%80%80", ParseError::invalid_utf8},
        {"raw_invalid_utf8", "a=\xFF", ParseError::invalid_utf8},
        {"invalid_utf8_in_key", "%FF=1", ParseError::invalid_utf8},
        {"too_many_fields", "a=1&b=2&c=3&d=4", ParseError::too_many_fields},
        {"key_too_long", "abcdefghi=1", ParseError::key_too_long},
        {"value_too_long", "a=12345678901", ParseError::value_too_long},
        {"too_large", std::string(65, 'a'), ParseError::too_large},
    };
    for (const auto& c : cases) {
        auto r = parse_urlencoded(c.body, small);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.expected) << c.name << ": got " << parse_error_name(r.error());
    }
}

TEST(Urlencoded, LimitsCountDecodedBytes) {
    UrlencodedLimits limits{.max_value = 3};
    EXPECT_TRUE(parse_urlencoded("a=%41%42%43", limits).ok());  // 9 encoded bytes, 3 decoded
    EXPECT_FALSE(parse_urlencoded("a=%41%42%43%44", limits).ok());
}

TEST(Urlencoded, StatusMapping) {
    EXPECT_EQ(http_status(ParseError::too_large), 413);
    EXPECT_EQ(http_status(ParseError::bad_escape), 400);
    EXPECT_EQ(http_status(ParseError::invalid_utf8), 400);
    EXPECT_EQ(parse_error_body(ParseError::invalid_utf8), R"({"errors":{"_body":["Invalid UTF-8."]}})");
}

TEST(Urlencoded, MultiDictAccess) {
    auto r = parse_urlencoded("a=1&b=2&a=3");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->get("a"), "1");
    EXPECT_EQ(r->get_all("a"), (std::vector<std::string_view>{"1", "3"}));
    EXPECT_FALSE(r->get("c").has_value());
    EXPECT_TRUE(r->contains("b"));
}

}  // namespace
}  // namespace bulwark::form
