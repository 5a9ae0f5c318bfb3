#include <bulwark/form.hpp>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace bulwark::form {
namespace {

TEST(JsonParse, GoodInputs) {
    const std::pair<const char*, std::string> cases[] = {
        {"object", R"({"a":1,"b":[true,null,"x"],"c":{"d":1.5}})"},
        {"scalar", "42"},
        {"string_escapes", R"(["\u00e9\n"])"},
        {"nested_dup_names_in_different_objects", R"({"a":{"x":1},"b":{"x":2}})"},
        {"whitespace", " { \"a\" : [ ] } "},
        {"big_uint", "18446744073709551615"},
    };
    for (const auto& [name, body] : cases) {
        auto r = parse_json(body);
        ASSERT_TRUE(r.ok()) << name << ": " << parse_error_name(r.error());
    }
    auto r = parse_json(R"({"a":1,"b":[true,null,"x"]})");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(boost::json::serialize(*r), R"({"a":1,"b":[true,null,"x"]})");
}

TEST(JsonParse, AttackTable) {
    JsonLimits small{.max_size = 200, .max_depth = 4, .max_string = 8, .max_elements = 3};
    const struct {
        const char* name;
        std::string body;
        ParseError expected;
    } cases[] = {
        {"duplicate_key", R"({"role":"user","role":"admin"})", ParseError::duplicate_key},
        {"duplicate_key_nested", R"({"a":{"k":1,"k":2}})", ParseError::duplicate_key},
        {"duplicate_key_escaped", R"({"ab":1,"a\u0062":2})", ParseError::duplicate_key},
        {"too_deep_arrays", "[[[[[1]]]]]", ParseError::too_deep},
        {"too_deep_objects", R"({"a":{"a":{"a":{"a":{"a":1}}}}})", ParseError::too_deep},
        {"string_too_long", R"(["123456789"])", ParseError::value_too_long},
        {"key_too_long", R"({"123456789":1})", ParseError::key_too_long},
        {"too_many_elements", "[1,2,3,4]", ParseError::too_many_fields},
        {"too_many_members", R"({"a":1,"b":2,"c":3,"d":4})", ParseError::too_many_fields},
        {"too_large", "[" + std::string(300, ' ') + "]", ParseError::too_large},
        {"invalid_utf8", "[\"\xFF\"]", ParseError::invalid_utf8},
        {"overlong_utf8", "[\"\xC0\xAF\"]", ParseError::invalid_utf8},
        {"trailing_comma", "[1,]", ParseError::malformed_json},
        {"comment", "[1]/*x*/", ParseError::malformed_json},
        {"trailing_data", "[1] [2]", ParseError::malformed_json},
        {"truncated", R"({"a":)", ParseError::malformed_json},
        {"empty", "", ParseError::malformed_json},
        {"nan", "NaN", ParseError::malformed_json},
        {"single_quotes", "{'a':1}", ParseError::malformed_json},
        {"lone_surrogate_escape", R"(["\ud800"])", ParseError::malformed_json},
    };
    for (const auto& c : cases) {
        auto r = parse_json(c.body, small);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.expected) << c.name << ": got " << parse_error_name(r.error());
    }
}

TEST(JsonParse, DefaultDepthLimitStopsDeepNesting) {
    std::string deep(100000, '[');
    auto r = parse_json(deep);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), ParseError::too_deep);
}

TEST(JsonParse, LimitsAtTheBoundaryPass) {
    JsonLimits small{.max_size = 200, .max_depth = 4, .max_string = 8, .max_elements = 3};
    EXPECT_TRUE(parse_json("[[[[1]]]]", small).ok());
    EXPECT_TRUE(parse_json(R"(["12345678"])", small).ok());
    EXPECT_TRUE(parse_json("[1,2,3]", small).ok());
}

}  // namespace
}  // namespace bulwark::form
