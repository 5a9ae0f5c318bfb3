#include <bulwark/form.hpp>

#include <gtest/gtest.h>

namespace bulwark::form {
namespace {

// run_one validates a one-field form and returns the messages (empty when valid).
std::vector<std::string> run_one(Field field, const std::string& body) {
    Schema schema({std::move(field)});
    auto data = parse_urlencoded(body);
    EXPECT_TRUE(data.ok()) << body;
    auto r = schema.validate(*data);
    if (r.ok()) return {};
    return *r.error().messages(schema.fields()[0].name);
}

TEST(Email, Table) {
    const struct {
        const char* name;
        std::string address;
        bool valid;
    } cases[] = {
        {"plain", "user@example.com", true},
        {"plus_tag", "user+tag@example.co.uk", true},
        {"dots", "first.last@sub.example.org", true},
        {"atext_specials", "a!#$%&'*+-/=?^_`{|}~@example.com", true},
        {"idn_domain", "user@b\xC3\xBC" "cher.de", true},
        {"idn_tld", "user@example.\xD1\x80\xD1\x84", true},
        {"punycode", "user@xn--bcher-kva.de", true},
        {"local_64", std::string(64, 'a') + "@example.com", true},
        {"local_65", std::string(65, 'a') + "@example.com", false},
        {"total_255", std::string(64, 'a') + "@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                          std::string(59, 'd') + ".com", false},
        {"label_64", "a@" + std::string(64, 'b') + ".com", false},
        {"no_at", "user.example.com", false},
        {"empty_local", "@example.com", false},
        {"no_tld", "user@localhost", false},
        {"numeric_tld", "user@1.2.3.4", false},
        {"ip_literal", "user@[127.0.0.1]", false},
        {"leading_dot", ".user@example.com", false},
        {"trailing_dot", "user.@example.com", false},
        {"double_dot", "us..er@example.com", false},
        {"space", "us er@example.com", false},
        {"crlf_injection", "user@example.com\r\nBcc: x@evil.com", false},
        {"nul", std::string("user@exa\0mple.com", 17), false},
        {"quoted_refused_by_default", "\"john doe\"@example.com", false},
        {"two_at", "a@b@example.com", false},
        {"hyphen_label_edge", "user@-example.com", false},
        {"underscore_domain", "user@ex_ample.com", false},
        {"zero_width_joiner", "user@exa\xE2\x80\x8Dmple.com", false},
        {"fullwidth_dot", "user@example\xEF\xBC\x8E" "com", false},
        {"rtl_override", "user@\xE2\x80\xAE" "moc.example.com", false},
        {"utf8_local_part", "\xC3\xA9@example.com", false},
        {"invalid_utf8", "user@ex\xFF.com", false},
        {"empty", "", false},
    };
    for (const auto& c : cases) EXPECT_EQ(is_valid_email(c.address), c.valid) << c.name;
    EXPECT_TRUE(is_valid_email("\"john doe\"@example.com", {.allow_quoted_local = true}));
    EXPECT_FALSE(is_valid_email("\"john\r\n\"@example.com", {.allow_quoted_local = true}));
}

TEST(Url, Table) {
    const struct {
        const char* name;
        std::string url;
        bool valid;
    } cases[] = {
        {"https", "https://example.com/path?q=1#f", true},
        {"http_port", "http://example.com:8080/", true},
        {"upper_scheme", "HTTPS://example.com", true},
        {"ipv4", "http://127.0.0.1/", true},
        {"ipv6", "http://[::1]:8080/", true},
        {"idn", "https://b\xC3\xBC" "cher.de/", true},
        {"javascript", "javascript:alert(1)", false},
        {"javascript_slashes", "javascript://example.com/%0aalert(1)", false},
        {"data", "data:text/html,<script>", false},
        {"ftp_not_allowed", "ftp://example.com/", false},
        {"userinfo", "https://example.com@evil.com/", false},
        {"no_tld", "http://localhost/", false},
        {"space", "http://exa mple.com/", false},
        {"newline", "http://example.com/\nx", false},
        {"port_zero", "http://example.com:0/", false},
        {"port_too_big", "http://example.com:65536/", false},
        {"port_letters", "http://example.com:8o/", false},
        {"empty_host", "http:///path", false},
        {"relative", "/path", false},
        {"protocol_relative", "//evil.com", false},
        {"bad_ipv4_treated_as_domain", "http://999.1.1.1/", false},
    };
    for (const auto& c : cases) EXPECT_EQ(is_valid_url(c.url), c.valid) << c.name;
    EXPECT_TRUE(is_valid_url("ftp://example.com/", {"ftp"}));
}

TEST(Validators, MessagesTable) {
    const struct {
        const char* name;
        Field field;
        std::string body;
        std::vector<std::string> messages;
    } cases[] = {
        {"required_missing", {"f", Type::string, {required()}}, "", {"This field is required."}},
        {"required_blank", {"f", Type::string, {required()}}, "f=+++", {"This field is required."}},
        {"required_ok", {"f", Type::string, {required()}}, "f=x", {}},
        {"optional_missing_stops", {"f", Type::integer, {optional(), number_range(1, 2)}}, "", {}},
        {"optional_blank_stops", {"f", Type::integer, {optional(), number_range(1, 2)}}, "f=", {}},
        {"length_between", {"f", Type::string, {length(3, 5)}}, "f=ab", {"Field must be between 3 and 5 characters long."}},
        {"length_min", {"f", Type::string, {length(3, -1)}}, "f=ab", {"Field must be at least 3 characters long."}},
        {"length_max", {"f", Type::string, {length(-1, 2)}}, "f=abc", {"Field cannot be longer than 2 characters."}},
        {"length_exact", {"f", Type::string, {length(2, 2)}}, "f=abc", {"Field must be exactly 2 characters long."}},
        {"length_counts_code_points", {"f", Type::string, {length(-1, 2)}}, "f=%C3%A9%C3%A9", {}},
        {"regexp_full_match", {"f", Type::string, {regexp("[a-z]+")}}, "f=abc1", {"Invalid input."}},
        {"regexp_trailing_newline", {"f", Type::string, {regexp("[a-z]+")}}, "f=abc%0A", {"Invalid input."}},
        {"regexp_ok", {"f", Type::string, {regexp("[a-z]+")}}, "f=abc", {}},
        {"number_range", {"f", Type::integer, {number_range(0, 150)}}, "f=151", {"Number must be between 0 and 150."}},
        {"number_min", {"f", Type::number, {number_range(0.5, std::nullopt)}}, "f=0.25", {"Number must be at least 0.5."}},
        {"number_max", {"f", Type::integer, {number_range(std::nullopt, 10)}}, "f=11", {"Number must be at most 10."}},
        {"integer_bad", {"f", Type::integer, {number_range(0, 150)}}, "f=12abc", {"Not a valid integer value."}},
        {"integer_overflow", {"f", Type::integer, {}}, "f=9223372036854775808", {"Not a valid integer value."}},
        {"integer_double_sign", {"f", Type::integer, {}}, "f=%2B-1", {"Not a valid integer value."}},
        {"float_bad", {"f", Type::number, {}}, "f=1e999", {"Not a valid float value."}},
        {"float_nan", {"f", Type::number, {}}, "f=nan", {"Not a valid float value."}},
        {"bool_bad", {"f", Type::boolean, {}}, "f=maybe", {"Not a valid boolean value."}},
        {"date_feb_30", {"f", Type::date, {}}, "f=2023-02-30", {"Not a valid date value."}},
        {"date_format", {"f", Type::date, {}}, "f=2023-2-3", {"Not a valid date value."}},
        {"date_leap_ok", {"f", Type::date, {}}, "f=2024-02-29", {}},
        {"date_non_leap", {"f", Type::date, {}}, "f=1900-02-29", {"Not a valid date value."}},
        {"email", {"f", Type::string, {email()}}, "f=nope", {"Invalid email address."}},
        {"url", {"f", Type::string, {url()}}, "f=javascript:alert(1)", {"Invalid URL."}},
        {"any_of", {"f", Type::string, {any_of({"a", "b"})}}, "f=c", {"Invalid value, must be one of: a, b."}},
        {"none_of", {"f", Type::string, {none_of({"admin"})}}, "f=admin", {"Invalid value, can't be any of: admin."}},
        {"custom", {"f", Type::string, {custom([](const FieldInput& in) -> std::optional<std::string> {
                       if (in.raw == "x") return "No x.";
                       return std::nullopt;
                   })}}, "f=x", {"No x."}},
        {"several_messages", {"f", Type::string, {length(3, 5), regexp("[a-z]+")}}, "f=A", {"Field must be between 3 and 5 characters long.", "Invalid input."}},
        {"required_stops_chain", {"f", Type::string, {required(), length(3, 5)}}, "f=", {"This field is required."}},
    };
    for (const auto& c : cases) EXPECT_EQ(run_one(c.field, c.body), c.messages) << c.name;
}

TEST(Validators, EqualToAndTypedValues) {
    Schema schema({{"password", Type::string, {required()}},
                   {"confirm", Type::string, {equal_to("password")}},
                   {"n", Type::integer, {}},
                   {"x", Type::number, {}},
                   {"b", Type::boolean, {}},
                   {"d", Type::date, {}}});
    auto ok = schema.validate(*parse_urlencoded("password=abc&confirm=abc&n=-42&x=2.5&b=on&d=2024-01-31"));
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->get_int("n"), -42);
    EXPECT_EQ(ok->get_double("x"), 2.5);
    EXPECT_EQ(ok->get_bool("b"), true);
    EXPECT_EQ(ok->get_date("d"), (Date{2024, 1, 31}));
    EXPECT_EQ(ok->get_string("password"), "abc");
    auto bad = schema.validate(*parse_urlencoded("password=abc&confirm=abd&n=1&x=1&b=0&d=2024-01-01"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().to_json(), R"({"errors":{"confirm":["Field must be equal to password."]}})");
}

TEST(Validators, RegexpRefusesHugeInputInsteadOfRecursing) {
    std::string body = "f=" + std::string(100000, 'a');
    Schema schema({{"f", Type::string, {regexp("[a-z]+")}}});
    EXPECT_FALSE(schema.validate(*parse_urlencoded(body, {.max_value = 200000})).ok());
}

TEST(Errors, JsonShapeEscapesAndFieldNames) {
    Errors e;
    e.add("user\"name", "bad \"x\"");
    e.add("age", "a");
    e.add("user\"name", "second");
    EXPECT_EQ(e.to_json(), R"({"errors":{"user\"name":["bad \"x\"","second"],"age":["a"]}})");
    EXPECT_EQ(e.field_names(), (std::vector<std::string>{"user\"name", "age"}));
}

}  // namespace
}  // namespace bulwark::form
