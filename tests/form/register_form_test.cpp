// The reference app's /register form (spec/reference-app.md) as a case table. The password
// policy (common, guessable) is the password component's job; only the length is checked here.
#include <bulwark/form.hpp>

#include <gtest/gtest.h>

namespace bulwark::form {
namespace {

const Schema& register_schema() {
    static const Schema schema({
        {"username", Type::string,
         {required(), length(3, 20),
          regexp("[A-Za-z0-9_]+", "Username must contain only letters, numbers, and underscores")}},
        {"email", Type::string, {required(), length(-1, 254), email("Invalid email address")}},
        {"password", Type::string, {required(), length(12, 1024)}},
        {"age", Type::integer, {optional(), number_range(0, 150)}},
    });
    return schema;
}

const std::string kGood = "username=alice_1&email=alice%40example.com&password=correct+horse+b&csrf_token=t";

TEST(RegisterForm, CaseTable) {
    const struct {
        const char* name;
        std::string body;
        std::string errors_json;  // empty: valid
    } cases[] = {
        {"valid_without_age", kGood, ""},
        {"valid_with_age", kGood + "&age=30", ""},
        {"age_zero", kGood + "&age=0", ""},
        {"age_150", kGood + "&age=150", ""},
        {"age_blank_is_absent", kGood + "&age=", ""},
        {"age_151", kGood + "&age=151", R"({"errors":{"age":["Number must be between 0 and 150."]}})"},
        {"age_negative", kGood + "&age=-1", R"({"errors":{"age":["Number must be between 0 and 150."]}})"},
        {"age_not_integer", kGood + "&age=3.5", R"({"errors":{"age":["Not a valid integer value."]}})"},
        {"username_short", "username=al&email=a%40example.com&password=correct+horse+b",
         R"({"errors":{"username":["Field must be between 3 and 20 characters long."]}})"},
        {"username_long", "username=" + std::string(21, 'a') + "&email=a%40example.com&password=correct+horse+b",
         R"({"errors":{"username":["Field must be between 3 and 20 characters long."]}})"},
        {"username_20", "username=" + std::string(20, 'a') + "&email=a%40example.com&password=correct+horse+b", ""},
        {"username_chars", "username=al+ice&email=a%40example.com&password=correct+horse+b",
         R"({"errors":{"username":["Username must contain only letters, numbers, and underscores"]}})"},
        {"username_script", "username=%3Cscript%3E&email=a%40example.com&password=correct+horse+b",
         R"({"errors":{"username":["Username must contain only letters, numbers, and underscores"]}})"},
        {"username_unicode_letter", "username=%C3%A9lise&email=a%40example.com&password=correct+horse+b",
         R"({"errors":{"username":["Username must contain only letters, numbers, and underscores"]}})"},
        {"email_invalid", "username=alice&email=alice&password=correct+horse+b",
         R"({"errors":{"email":["Invalid email address"]}})"},
        {"password_11", "username=alice&email=a%40example.com&password=12345678901",
         R"({"errors":{"password":["Field must be between 12 and 1024 characters long."]}})"},
        {"password_1025", "username=alice&email=a%40example.com&password=" + std::string(1025, 'p'),
         R"({"errors":{"password":["Field must be between 12 and 1024 characters long."]}})"},
        {"all_missing", "",
         R"({"errors":{"username":["This field is required."],"email":["This field is required."],"password":["This field is required."]}})"},
    };
    for (const auto& c : cases) {
        auto data = parse_urlencoded(c.body);
        ASSERT_TRUE(data.ok()) << c.name;
        auto r = register_schema().validate(*data);
        if (c.errors_json.empty()) {
            EXPECT_TRUE(r.ok()) << c.name << ": " << (r.ok() ? "" : r.error().to_json());
        } else {
            ASSERT_FALSE(r.ok()) << c.name;
            EXPECT_EQ(r.error().to_json(), c.errors_json) << c.name;
        }
    }
}

TEST(RegisterForm, ErrorsNeverEchoValues) {
    auto r = register_schema().validate(*parse_urlencoded("username=%3Cb%3Esecret&email=secret&password=short&age=secret"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().to_json().find("secret"), std::string::npos);
    EXPECT_EQ(r.error().field_names(), (std::vector<std::string>{"username", "email", "password", "age"}));
}

TEST(RegisterForm, TypedValues) {
    auto r = register_schema().validate(*parse_urlencoded(kGood + "&age=42"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->get_string("username"), "alice_1");
    EXPECT_EQ(r->get_int("age"), 42);
    auto no_age = register_schema().validate(*parse_urlencoded(kGood));
    ASSERT_TRUE(no_age.ok());
    EXPECT_FALSE(no_age->get_int("age").has_value());
}

}  // namespace
}  // namespace bulwark::form
