// The production rule for SECRET_KEY: every placeholder, low-entropy shapes, short keys,
// and the keys that must pass (gen-secret output, hex of 32 random bytes).
#include <bulwark/config.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bulwark::config::check_secret_strength;
using bulwark::config::SecretWeakness;

TEST(SecretStrength, PlaceholdersAreRefused) {
    const std::vector<std::string> placeholders = {
        "super-secret-key", "change-me", "changeme", "CHANGEME", "secret", "your-secret-key-here",
        "dev", "development", "password", "secret-key", "secret_key", "SECRET_KEY", "mysecretkey",
        "change-this", "changeit", "default", "insecure", "notasecret", "example", "placeholder",
        "replace-me", "todo", "xxx", "12345", "abc123", "qwerty", "letmein", "admin", "s3cr3t",
        "topsecret", "keyboard cat", "flask-secret-key", "hunter2", "this-is-a-secret", "prod",
        "production", "test", "token", "Super Secret Key",
        // Long template values: long enough, still placeholders.
        "change-me-to-a-long-random-string-in-production",
        "django-insecure-7x#m2!a9q@z$k3^w8&e5*r1(t6)y4_u0+i9-o2=p7",
        "your-secret-key-here-please-make-it-long-and-random",
        "supersecretkeythatnobodywillguessever1234567890",
        "replace_me_with_the_output_of_bulwark_gen_secret_now",
    };
    for (const auto& p : placeholders) {
        EXPECT_EQ(check_secret_strength(p), SecretWeakness::placeholder) << p;
    }
}

TEST(SecretStrength, WeakShapesAreRefused) {
    struct Case { const char* name; std::string secret; SecretWeakness why; };
    const std::vector<Case> cases = {
        {"empty", "", SecretWeakness::too_short},
        {"short_random", "q8Zr-T0v_Lk3XbY9wP2mN7cE5hJ1", SecretWeakness::too_short},
        {"31_bytes", std::string("aZ3-kQ9_mX2pL7vB4nR8sT1wY6cF0hJ"), SecretWeakness::too_short},
        {"repeated_char", std::string(64, 'a'), SecretWeakness::repeated_pattern},
        {"repeated_unit", "abc123abc123abc123abc123abc123abc123", SecretWeakness::repeated_pattern},
        {"repeated_word", "hunter2!hunter2!hunter2!hunter2!hunter2!", SecretWeakness::repeated_pattern},
        {"few_distinct", "abababababababababababababababababababbaab", SecretWeakness::few_distinct},
        {"binary_digits", "0110100101101001011010010110100101101001101001", SecretWeakness::few_distinct},
        {"alphabet_run", "abcdefghijklmnopqrstuvwxyz0123456789", SecretWeakness::low_entropy},
        {"keyboard_and_run", "qwertyuiop1234567890asdfghjkl;zxcvbnm", SecretWeakness::low_entropy},
        {"sentence_of_words", "my-super-secret-key-for-production-2024", SecretWeakness::low_entropy},
        {"words_and_year", "the-flask-app-secret-signing-key-2025!", SecretWeakness::low_entropy},
        {"short_hex_32_chars", "3f9a0c1e7b2d4f6a8c0e2b4d6f8a1c3e", SecretWeakness::low_entropy},
        {"passphrase", "correct horse battery staple is a famous passphrase", SecretWeakness::low_entropy},
        {"long_sentence", "this is my very long secret passphrase for the app", SecretWeakness::low_entropy},
        {"random_alnum_32", "Xk9Pq2Lm7Rv4Tz8Wb3Nc6Hd1Jf5Gs0Ya", SecretWeakness::low_entropy},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(check_secret_strength(c.secret), c.why)
            << c.name << " (got " << bulwark::config::secret_weakness_name(check_secret_strength(c.secret))
            << ", estimate " << bulwark::config::estimate_entropy_bits(c.secret) << ")";
    }
}

TEST(SecretStrength, RandomTokensPass) {
    // gen-secret output (43 base64url chars) and hex of 32 random bytes must always pass;
    // 2000 draws of each make a flaky rule visible.
    for (int i = 0; i < 2000; ++i) {
        auto token = bulwark::crypto::random_token(32);
        ASSERT_EQ(check_secret_strength(token), SecretWeakness::none)
            << "estimate " << bulwark::config::estimate_entropy_bits(token);
        auto hex = bulwark::crypto::hex_encode(bulwark::crypto::random_bytes(32));
        ASSERT_EQ(check_secret_strength(hex), SecretWeakness::none)
            << "estimate " << bulwark::config::estimate_entropy_bits(hex);
        auto b64 = bulwark::crypto::base64_encode(bulwark::crypto::random_bytes(32));
        ASSERT_EQ(check_secret_strength(b64), SecretWeakness::none);
    }
}

TEST(SecretStrength, KnownGoodKeysPass) {
    const std::vector<std::string> good = {
        "Zx3_kQ9-mX2pL7vB4nR8sT1wY6cF0hJ5aD8eG2iK4oM",
        "4f8b2c9e1a7d3f6b0c5e8a2d9f1b4c7e3a6d0f9b2c5e8a1d4f7b0c3e6a9d2f5b",
        "4F8B2C9E1A7D3F6B0C5E8A2D9F1B4C7E3A6D0F9B2C5E8A1D4F7B0C3E6A9D2F5B",
    };
    for (const auto& g : good) {
        EXPECT_EQ(check_secret_strength(g), SecretWeakness::none)
            << g.size() << " estimate " << bulwark::config::estimate_entropy_bits(g);
    }
}

}  // namespace
