#include <bulwark/password.hpp>

#include <gtest/gtest.h>

namespace bulwark::password {
namespace {

struct PolicyCase {
    const char* name;
    std::string password;
    PolicyContext context;
    std::vector<std::string> contains;  // each must appear in some message; empty = accepted
};

bool any_contains(const std::vector<std::string>& messages, const std::string& part) {
    for (const auto& m : messages)
        if (m.find(part) != std::string::npos) return true;
    return false;
}

TEST(Policy, Table) {
    const PolicyCase cases[] = {
        {"strong_passphrase", "correct-horse-battery-staple-77", {}, {}},
        {"strong_unicode", "gr\xc3\xbc\xc3\x9f Gott, Z\xc3\xbcrich \xe2\x98\x83 lake", {}, {}},
        {"too_short", "Xk9#tq", {}, {"at least 12"}},
        {"eleven_code_points_many_bytes", "\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83"
                                          "\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83"
                                          "\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83", {}, {"at least 12"}},
        {"common_password", "password1234", {}, {"too easy"}},
        {"keyboard_walk", "qwertyuiop123", {}, {"too easy"}},
        {"repeated", "aaaaaaaaaaaaaaaa", {}, {"too easy"}},
        {"is_username", "zebediah-the-great", {.username = "zebediah-the-great"}, {"username"}},
        {"contains_username_any_case", "Blue-ZEBEDIAH-kettle-91", {.username = "zebediah"}, {"username"}},
        {"contains_email_local_part", "xq-marguerite.v-47-kettle", {.email = "Marguerite.V@example.org"},
         {"email"}},
        {"is_email", "marguerite.v@example.org", {.email = "marguerite.v@example.org"}, {"email"}},
        {"short_username_not_a_substring_rule", "totally-unrelated-kettle-91", {.username = "al"}, {}},
        {"invalid_utf8", "abc\xff\xfe defghijklmnop", {}, {"not allowed"}},
        {"nul", std::string("abcdefgh\0ijklmnop", 17), {}, {"not allowed"}},
        {"too_long_bytes", std::string(kMaxPasswordBytes + 1, 'a'), {}, {"at most 1024"}},
        {"too_long_code_points", std::string(1025, 'a'), {}, {"at most 1024"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto messages = check_policy(c.password, c.context);
        if (c.contains.empty()) {
            EXPECT_TRUE(messages.empty()) << messages.front();
        }
        for (const auto& part : c.contains) EXPECT_TRUE(any_contains(messages, part)) << part;
    }
}

TEST(Policy, OverlongInputGetsOneMessageAndNoScoring) {
    const auto messages = check_policy(std::string(1025, 'a'));
    ASSERT_EQ(messages.size(), 1u);
}

TEST(Policy, LimitsAreConfigurable) {
    Policy relaxed{.min_length = 8, .max_length = 20, .min_score = 0};
    EXPECT_TRUE(check_policy("abcdefgh", {}, relaxed).empty());
    EXPECT_FALSE(check_policy("abcdefghijklmnopqrstu", {}, relaxed).empty());
    Policy strict{.min_score = 4};
    EXPECT_EQ(strength_score("correct horse"), 3);
    EXPECT_TRUE(check_policy("correct horse", {}).empty());
    EXPECT_FALSE(check_policy("correct horse", {}, strict).empty());
}

TEST(Strength, ScoreFollowsGuessThresholds) {
    EXPECT_EQ(strength_score("password"), 0);
    EXPECT_LE(strength_score("monkey12"), 2);
    EXPECT_GE(strength_score("correct-horse-battery-staple-77"), 3);
    EXPECT_EQ(strength_score("Vx7#qP2!mZ9$kL4@wR8&"), 4);
    // The username is a known word: using it adds little.
    EXPECT_LT(strength_score("zebediahzebediah", {.username = "zebediah"}),
              strength_score("zebediahzebediah"));
    // A long input is scored on a prefix, quickly.
    EXPECT_EQ(strength_score(std::string(4000, 'x') + "\xe2\x98\x83"), strength_score(std::string(4000, 'x')));
}

TEST(Utf8, StrictValidation) {
    const struct {
        const char* name;
        std::string text;
        bool valid;
    } cases[] = {
        {"ascii", "abc", true},
        {"two_byte", "\xc3\xa9", true},
        {"three_byte", "\xe2\x82\xac", true},
        {"four_byte", "\xf0\x9f\x94\x92", true},
        {"max_code_point", "\xf4\x8f\xbf\xbf", true},
        {"above_max", "\xf4\x90\x80\x80", false},
        {"overlong_two", "\xc1\xbf", false},
        {"overlong_three", "\xe0\x80\xaf", false},
        {"overlong_four", "\xf0\x80\x80\xaf", false},
        {"surrogate", "\xed\xb0\x80", false},
        {"lone_continuation", "\x80", false},
        {"truncated", "\xf0\x9f\x94", false},
        {"bad_continuation", "\xe2\x28\xa1", false},
        {"ff", "\xff", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(valid_utf8(c.text), c.valid);
    }
}

}  // namespace
}  // namespace bulwark::password
