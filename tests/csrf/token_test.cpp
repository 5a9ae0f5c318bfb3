#include <bulwark/csrf.hpp>

#include <gtest/gtest.h>

#include <set>

namespace csrf = bulwark::csrf;
namespace crypto = bulwark::crypto;
using namespace std::chrono_literals;

namespace {

crypto::SecretBytes fixed_secret(std::uint8_t fill) {
    crypto::Bytes b(csrf::kSecretSize, fill);
    return crypto::SecretBytes{crypto::ByteView{b}};
}

// masked_for_testing builds a token from a chosen pad, as an attacker could.
std::string masked_with_pad(const crypto::SecretBytes& secret, std::uint8_t pad) {
    crypto::Bytes buf(2 * csrf::kSecretSize, pad);
    for (std::size_t i = 0; i < csrf::kSecretSize; ++i) buf[32 + i] = pad ^ secret.reveal()[i];
    return crypto::base64url_encode(buf);
}

}  // namespace

TEST(CsrfToken, SessionSecretIs32RandomBytes) {
    const auto a = csrf::new_session_secret();
    const auto b = csrf::new_session_secret();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_FALSE(crypto::equal(a.reveal(), b.reveal()));
}

TEST(CsrfToken, MaskedTokenIsFreshEveryCallAndVerifies) {
    const auto secret = csrf::new_session_secret();
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const auto token = csrf::masked_token(secret);
        EXPECT_EQ(token.size(), 86u);
        EXPECT_TRUE(csrf::verify(secret, token).ok());
        seen.insert(token);
    }
    EXPECT_EQ(seen.size(), 50u);  // BREACH: no two renders share bytes
}

TEST(CsrfToken, KnownAnswerUnmasking) {
    // pad 0x00 -> the masked half is the secret itself; pad 0xff -> its complement.
    const auto secret = fixed_secret(0x5a);
    EXPECT_TRUE(csrf::verify(secret, masked_with_pad(secret, 0x00)).ok());
    EXPECT_TRUE(csrf::verify(secret, masked_with_pad(secret, 0xff)).ok());
    crypto::Bytes raw(64, 0);
    for (int i = 32; i < 64; ++i) raw[i] = 0x5a;
    EXPECT_EQ(crypto::base64url_encode(raw), masked_with_pad(secret, 0x00));
}

TEST(CsrfToken, WrongSecretLengthGivesNoToken) {
    EXPECT_EQ(csrf::masked_token(crypto::SecretBytes{}), "");
    EXPECT_EQ(csrf::masked_token(crypto::SecretBytes{std::string_view{"short"}}), "");
}

TEST(CsrfToken, BadTokenTable) {
    const auto secret = fixed_secret(0x11);
    const auto other = fixed_secret(0x22);
    const auto good = csrf::masked_token(secret);
    std::string flipped = good;
    flipped[40] = flipped[40] == 'A' ? 'B' : 'A';
    struct Case {
        const char* name;
        std::string token;
        csrf::CsrfError want;
    };
    const Case cases[] = {
        {"empty", "", csrf::CsrfError::missing},
        {"other_session", csrf::masked_token(other), csrf::CsrfError::mismatch},
        {"one_char_flipped", flipped, csrf::CsrfError::mismatch},
        {"unmasked_secret_itself", crypto::base64url_encode(secret.reveal()), csrf::CsrfError::malformed},
        {"truncated", good.substr(0, 85), csrf::CsrfError::malformed},
        {"extra_char", good + "A", csrf::CsrfError::malformed},
        {"padding", good + "==", csrf::CsrfError::malformed},
        {"std_base64_alphabet", std::string(86, '+'), csrf::CsrfError::malformed},
        {"whitespace", " " + good.substr(1), csrf::CsrfError::malformed},
        {"nul_byte", std::string(86, '\0'), csrf::CsrfError::malformed},
        {"huge", std::string(100000, 'A'), csrf::CsrfError::malformed},
        {"all_zero_pad_zero_secret", std::string(86, 'A'), csrf::CsrfError::mismatch},
    };
    for (const auto& c : cases) {
        const auto r = csrf::verify(secret, c.token);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.want) << c.name;
    }
}

TEST(CsrfToken, NoSessionSecret) {
    const auto r = csrf::verify(crypto::SecretBytes{}, csrf::masked_token(csrf::new_session_secret()));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), csrf::CsrfError::session_missing);
}

TEST(CsrfToken, MessagesAsFlaskWtfAndNeverEchoTheToken) {
    EXPECT_EQ(csrf::error_message(csrf::CsrfError::missing), "The CSRF token is missing.");
    EXPECT_EQ(csrf::error_message(csrf::CsrfError::malformed), "The CSRF token is invalid.");
    EXPECT_EQ(csrf::error_message(csrf::CsrfError::expired), "The CSRF token has expired.");
    EXPECT_EQ(csrf::error_message(csrf::CsrfError::mismatch), "The CSRF tokens do not match.");
    EXPECT_EQ(csrf::error_name(csrf::CsrfError::cross_site), "cross_site");
}

TEST(CsrfSigned, RoundTripAndRotation) {
    const crypto::SecretBytes k1{std::string_view{"0123456789abcdef0123456789abcdef"}};
    const crypto::SecretBytes k2{std::string_view{"fedcba9876543210fedcba9876543210"}};
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}};
    const auto token = csrf::signed_token(k1, "/contact", now);
    EXPECT_EQ(token.size(), 76u);
    const std::vector<crypto::SecretBytes> current{k1};
    const std::vector<crypto::SecretBytes> rotated{k2, k1};  // k1 is now a fallback
    const std::vector<crypto::SecretBytes> dropped{k2};
    EXPECT_TRUE(csrf::verify_signed(current, token, "/contact", 1h, now + 10s).ok());
    EXPECT_TRUE(csrf::verify_signed(rotated, token, "/contact", 1h, now + 10s).ok());
    EXPECT_NE(csrf::signed_token(k1, "/contact", now), token);  // fresh nonce

    struct Case {
        const char* name;
        std::vector<crypto::SecretBytes> keys;
        std::string token;
        std::string binding;
        std::chrono::system_clock::time_point at;
        csrf::CsrfError want;
    };
    std::string tampered = token;
    tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
    std::vector<Case> cases = {
        {"key_dropped", dropped, token, "/contact", now, csrf::CsrfError::mismatch},
        {"other_binding", current, token, "/delete-account", now, csrf::CsrfError::mismatch},
        {"tampered_timestamp", current, tampered, "/contact", now, csrf::CsrfError::mismatch},
        {"expired", current, token, "/contact", now + 3601s, csrf::CsrfError::expired},
        {"from_future", current, token, "/contact", now - 61s, csrf::CsrfError::expired},
        {"empty", current, "", "/contact", now, csrf::CsrfError::missing},
        {"garbage", current, "not-a-token!", "/contact", now, csrf::CsrfError::malformed},
        {"masked_token_shape", current, csrf::masked_token(k1), "/contact", now, csrf::CsrfError::malformed},
        {"no_keys", {}, token, "/contact", now, csrf::CsrfError::mismatch},
    };
    for (const auto& c : cases) {
        const auto r = csrf::verify_signed(c.keys, c.token, c.binding, 1h, c.at);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.want) << c.name;
    }
    EXPECT_TRUE(csrf::verify_signed(current, token, "/contact", 1h, now + 3600s).ok());
}

TEST(CsrfDoubleSubmit, Table) {
    const auto cookie = csrf::new_double_submit_token();
    EXPECT_GE(cookie.size(), 43u);
    struct Case {
        const char* name;
        std::string cookie, header;
        bool ok;
        csrf::CsrfError want;
    };
    const Case cases[] = {
        {"match", cookie, cookie, true, {}},
        {"no_header", cookie, "", false, csrf::CsrfError::missing},
        {"no_cookie", "", cookie, false, csrf::CsrfError::missing},
        {"both_empty", "", "", false, csrf::CsrfError::missing},
        {"different", cookie, csrf::new_double_submit_token(), false, csrf::CsrfError::mismatch},
        {"prefix_only", cookie, cookie.substr(0, 20), false, csrf::CsrfError::mismatch},
        {"short_equal_values", "abc", "abc", false, csrf::CsrfError::malformed},
        {"huge", std::string(1000, 'a'), std::string(1000, 'a'), false, csrf::CsrfError::malformed},
    };
    for (const auto& c : cases) {
        const auto r = csrf::verify_double_submit(c.cookie, c.header);
        EXPECT_EQ(r.ok(), c.ok) << c.name;
        if (!c.ok && !r.ok()) {
            EXPECT_EQ(r.error(), c.want) << c.name;
        }
    }
}

TEST(CsrfSigned, KeyRingUsesTheCsrfSubkeyAndRotates) {
    const crypto::SecretBytes old_key{std::string_view{"old-secret-key-old-secret-key-32"}};
    const crypto::SecretBytes new_key{std::string_view{"new-secret-key-new-secret-key-32"}};
    const crypto::KeyRing before{old_key};
    const crypto::KeyRing after{new_key, {old_key}};
    const crypto::KeyRing dropped{new_key};
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}};
    const auto token = csrf::signed_token(before, "/contact", now);
    EXPECT_TRUE(csrf::verify_signed(before, token, "/contact", 1h, now).ok());
    EXPECT_TRUE(csrf::verify_signed(after, token, "/contact", 1h, now).ok());
    EXPECT_EQ(csrf::verify_signed(dropped, token, "/contact", 1h, now).error(), csrf::CsrfError::mismatch);
    // Not the raw key: a token made with SECRET_KEY itself (no subkey) must fail.
    const auto raw = csrf::signed_token(old_key, "/contact", now);
    EXPECT_EQ(csrf::verify_signed(before, raw, "/contact", 1h, now).error(), csrf::CsrfError::mismatch);
    // And the subkey is the csrf one: the same as subkey(Purpose::csrf).
    const std::vector<crypto::SecretBytes> sub{before.subkey(crypto::Purpose::csrf)};
    EXPECT_TRUE(csrf::verify_signed(sub, token, "/contact", 1h, now).ok());
}
