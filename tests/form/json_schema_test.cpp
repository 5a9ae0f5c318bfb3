#include <bulwark/form.hpp>

#include <gtest/gtest.h>

namespace bulwark::form {
namespace {

const JsonSchema& order_schema() {
    static const JsonSchema schema = json_object({
        {"name", json_string({length(1, 20)})},
        {"email", json_string({email()}), Presence::optional},
        {"quantity", json_integer({number_range(1, 10)})},
        {"price", json_number({number_range(0, std::nullopt)}), Presence::optional},
        {"gift", json_boolean(), Presence::optional},
        {"address", json_object({{"city", json_string({length(1, 50)})}}), Presence::optional},
        {"tags", json_array(json_string({length(1, 10)}), 0, 3), Presence::optional},
    });
    return schema;
}

TEST(JsonSchema, CaseTable) {
    const struct {
        const char* name;
        std::string body;
        std::string errors_json;
    } cases[] = {
        {"minimal", R"({"name":"a","quantity":1})", ""},
        {"full", R"({"name":"a","email":"a@example.com","quantity":10,"price":2.5,"gift":true,"address":{"city":"Paris"},"tags":["x","y"]})", ""},
        {"integer_price_is_number", R"({"name":"a","quantity":1,"price":3})", ""},
        {"null_optional_is_absent", R"({"name":"a","quantity":1,"email":null})", ""},
        {"missing_required", R"({"quantity":1})", R"({"errors":{"name":["This field is required."]}})"},
        {"null_required", R"({"name":null,"quantity":1})", R"({"errors":{"name":["This field is required."]}})"},
        {"unknown_field_refused", R"({"name":"a","quantity":1,"is_admin":true})", R"({"errors":{"is_admin":["Unknown field."]}})"},
        {"unknown_nested_field", R"({"name":"a","quantity":1,"address":{"city":"x","zip":1}})", R"({"errors":{"address.zip":["Unknown field."]}})"},
        {"wrong_type_string", R"({"name":5,"quantity":1})", R"({"errors":{"name":["Must be a string."]}})"},
        {"float_for_integer", R"({"name":"a","quantity":1.5})", R"({"errors":{"quantity":["Must be an integer."]}})"},
        {"string_for_integer", R"({"name":"a","quantity":"1"})", R"({"errors":{"quantity":["Must be an integer."]}})"},
        {"bool_type", R"({"name":"a","quantity":1,"gift":"yes"})", R"({"errors":{"gift":["Must be a boolean."]}})"},
        {"range", R"({"name":"a","quantity":11})", R"({"errors":{"quantity":["Number must be between 1 and 10."]}})"},
        {"nested_validator", R"({"name":"a","quantity":1,"address":{"city":""}})", R"({"errors":{"address.city":["Field must be between 1 and 50 characters long."]}})"},
        {"array_too_long", R"({"name":"a","quantity":1,"tags":["a","b","c","d"]})", R"({"errors":{"tags":["Must have between 0 and 3 items."]}})"},
        {"array_item", R"({"name":"a","quantity":1,"tags":["ok",""]})", R"({"errors":{"tags[1]":["Field must be between 1 and 10 characters long."]}})"},
        {"array_item_type", R"({"name":"a","quantity":1,"tags":[1]})", R"({"errors":{"tags[0]":["Must be a string."]}})"},
        {"not_an_object", R"([1,2])", R"({"errors":{"_body":["Must be an object."]}})"},
        {"huge_uint", R"({"name":"a","quantity":18446744073709551615})", R"({"errors":{"quantity":["Must be an integer."]}})"},
    };
    for (const auto& c : cases) {
        auto v = parse_json(c.body);
        ASSERT_TRUE(v.ok()) << c.name;
        auto r = validate_json(order_schema(), *v);
        if (c.errors_json.empty()) {
            EXPECT_TRUE(r.ok()) << c.name << ": " << (r.ok() ? "" : r.error().to_json());
        } else {
            ASSERT_FALSE(r.ok()) << c.name;
            EXPECT_EQ(r.error().to_json(), c.errors_json) << c.name;
        }
    }
}

TEST(JsonSchema, UnknownFieldsAllowedOnlyByOptOut) {
    auto open = allow_unknown_properties(json_object({{"a", json_integer()}}));
    EXPECT_TRUE(validate_json(open, *parse_json(R"({"a":1,"b":2})")).ok());
    EXPECT_FALSE(validate_json(json_object({{"a", json_integer()}}), *parse_json(R"({"a":1,"b":2})")).ok());
}

TEST(JsonSchema, EqualToSibling) {
    auto schema = json_object({{"password", json_string()}, {"confirm", json_string({equal_to("password")})}});
    EXPECT_TRUE(validate_json(schema, *parse_json(R"({"password":"x","confirm":"x"})")).ok());
    EXPECT_FALSE(validate_json(schema, *parse_json(R"({"password":"x","confirm":"y"})")).ok());
}

}  // namespace
}  // namespace bulwark::form
