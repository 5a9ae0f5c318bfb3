// The strict cookie shape and the store-record decoder: tables of good and bad inputs.
#include <bulwark/session.hpp>

#include <gtest/gtest.h>

#include <string>

namespace bulwark::session {
namespace {

TEST(CookieId, RandomTokensAreValid) {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(valid_cookie_id(crypto::random_token(32)));
}

TEST(CookieId, BadShapesAreRefused) {
    const struct {
        const char* name;
        std::string value;
    } cases[] = {
        {"empty", ""},
        {"short", std::string(42, 'A')},
        {"long", std::string(44, 'A')},
        {"padded", std::string(42, 'A') + "="},
        {"std_base64_plus", std::string(42, 'A') + "+"},
        {"std_base64_slash", "/" + std::string(41, 'A') + "A"},
        {"dot", std::string(21, 'A') + "." + std::string(21, 'A')},
        {"semicolon", std::string(42, 'A') + ";"},
        {"non_canonical_tail", std::string(42, 'A') + "B"},
        {"utf8", std::string(40, 'A') + "\xE2\x82\xAC"},
        {"nul_inside", std::string(20, 'A') + std::string(1, '\0') + std::string(22, 'A')},
    };
    for (const auto& c : cases) EXPECT_FALSE(valid_cookie_id(c.value)) << c.name;
}

TEST(CookieName, PrefixInProduction) {
    EXPECT_EQ(cookie_name(false), "session");
    EXPECT_EQ(cookie_name(true), "__Host-session");
    EXPECT_EQ(cookie_name(true, "app"), "__Host-app");
}

TEST(Record, GoodRecordsDecode) {
    const char* cases[] = {
        R"({"v":1,"c":1,"s":2,"h":"abc","d":{}})",
        R"({"v":1,"c":1,"s":1,"h":"","u":"42","e":3,"a":"::1","ua":"x","d":{"a":[1,{"b":null}]}})",
    };
    for (const char* c : cases) EXPECT_TRUE(decode_record_for_testing(c)) << c;
}

TEST(Record, BadRecordsAreRefused) {
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    const struct {
        const char* name;
        std::string json;
    } cases[] = {
        {"empty", ""},
        {"not_json", "{"},
        {"array", "[]"},
        {"no_version", R"({"c":1,"s":2,"h":"","d":{}})"},
        {"version_2", R"({"v":2,"c":1,"s":2,"h":"","d":{}})"},
        {"version_string", R"({"v":"1","c":1,"s":2,"h":"","d":{}})"},
        {"unknown_field", R"({"v":1,"c":1,"s":2,"h":"","d":{},"admin":true})"},
        {"negative_time", R"({"v":1,"c":-1,"s":2,"h":"","d":{}})"},
        {"float_time", R"({"v":1,"c":1.5,"s":2,"h":"","d":{}})"},
        {"huge_time", R"({"v":1,"c":18446744073709551615,"s":2,"h":"","d":{}})"},
        {"seen_before_created", R"({"v":1,"c":5,"s":2,"h":"","d":{}})"},
        {"data_array", R"({"v":1,"c":1,"s":2,"h":"","d":[]})"},
        {"no_data", R"({"v":1,"c":1,"s":2,"h":""})"},
        {"user_number", R"({"v":1,"c":1,"s":2,"h":"","u":7,"d":{}})"},
        {"long_handle", R"({"v":1,"c":1,"s":2,"h":")" + std::string(65, 'h') + R"(","d":{}})"},
        {"long_agent", R"({"v":1,"c":1,"s":2,"h":"","ua":")" + std::string(300, 'a') + R"(","d":{}})"},
        {"deep", R"({"v":1,"c":1,"s":2,"h":"","d":{"x":)" + deep + "}}"},
        {"oversized", R"({"v":1,"c":1,"s":2,"h":"","d":{"x":")" + std::string(70000, 'x') + R"("}})"},
        {"trailing", R"({"v":1,"c":1,"s":2,"h":"","d":{}} x)"},
    };
    for (const auto& c : cases) EXPECT_FALSE(decode_record_for_testing(c.json)) << c.name;
}

TEST(LoadStateNames, AreStable) {
    EXPECT_EQ(load_state_name(LoadState::expired), "expired");
    EXPECT_EQ(load_state_name(LoadState::revoked), "revoked");
    EXPECT_EQ(save_error_name(SaveError::too_large), "too_large");
}

}  // namespace
}  // namespace bulwark::session
