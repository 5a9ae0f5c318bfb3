// parse_token: the shape check before any lookup. A table of bad inputs, and the good shape.
#include <bulwark/account.hpp>
#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace account = bulwark::account;

struct Bad {
    const char* name;
    std::string input;
};

TEST(ParseToken, RefusesBadInput) {
    const std::string good = bulwark::crypto::base64url_encode(std::vector<std::uint8_t>(32, 0x5a));
    ASSERT_EQ(good.size(), 43u);
    const std::vector<Bad> cases = {
        {"empty", ""},
        {"one_char", "A"},
        {"42_chars", good.substr(0, 42)},
        {"44_chars", good + "A"},
        {"padded", good + "="},
        {"huge", std::string(1 << 20, 'A')},
        {"standard_base64_plus", good.substr(0, 42) + "+"},
        {"standard_base64_slash", "/" + good.substr(1)},
        {"space_inside", good.substr(0, 20) + " " + good.substr(21)},
        {"trailing_newline", good.substr(0, 42) + "\n"},
        {"nul_inside", good.substr(0, 10) + std::string(1, '\0') + good.substr(11)},
        {"percent_encoded", "%41" + good.substr(3)},
        {"non_ascii", "\xc3\xa9" + good.substr(2)},
        {"dot_separated", good.substr(0, 21) + "." + good.substr(22)},
        // 43 base64url characters carry 258 bits: the last character's low 2 bits must be 0.
        {"noncanonical_trailing_bits", good.substr(0, 42) + "B"},
        {"path_traversal", "../../../../../../../../../../../etc/passwd"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = account::parse_token(c.input);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), account::TokenError::malformed);
    }
}

TEST(ParseToken, AcceptsTheIssuedShape) {
    for (int i = 0; i < 64; ++i) {
        const auto bytes = bulwark::crypto::random_bytes(32);
        const auto text = bulwark::crypto::base64url_encode(bytes);
        auto r = account::parse_token(text);
        ASSERT_TRUE(r) << i;
        EXPECT_TRUE(std::equal(r->begin(), r->end(), bytes.begin()));
    }
}

TEST(Names, EveryPurposeAndErrorHasAName) {
    EXPECT_EQ(account::purpose_name(account::Purpose::verify_email), "verify_email");
    EXPECT_EQ(account::purpose_name(account::Purpose::reset_password), "reset_password");
    EXPECT_EQ(account::purpose_name(account::Purpose::change_email), "change_email");
    EXPECT_EQ(account::token_error_name(account::TokenError::password_changed), "password_changed");
    EXPECT_EQ(account::token_error_name(account::TokenError::malformed), "malformed");
}

TEST(Tokens, RefusesAnEmptyKeyRing) {
    auto d = bulwark::db::Database::open("sqlite::memory:");
    ASSERT_TRUE(d);
    EXPECT_THROW(account::Tokens(*d, {}), std::invalid_argument);
}

}  // namespace
