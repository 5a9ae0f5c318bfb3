// Webhook signatures: a known answer from `openssl dgst -sha256 -hmac`, tables of bad
// headers, tolerance and replay.
#include "jwt/fake_store.hpp"

#include <bulwark/webhook.hpp>

#include <gtest/gtest.h>

namespace bulwark::webhook {
namespace {

const std::string kSecret = "It's a Secret to Everybody";
const std::string kBody = "Hello, World!";
// printf 'Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody"
const std::string kKnown = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

crypto::ByteView b(const std::string& s) { return crypto::as_bytes(s); }

TEST(Sha256Header, KnownAnswerFromOpenssl) {
    EXPECT_EQ(sign_sha256_header(b(kSecret), b(kBody)), kKnown);
    EXPECT_TRUE(verify_sha256_header(b(kSecret), b(kBody), kKnown));
}

TEST(Sha256Header, Table) {
    std::string upper = kKnown;
    for (std::size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    std::string flipped = kKnown;
    flipped.back() = flipped.back() == '7' ? '8' : '7';
    struct Case {
        const char* name;
        std::string body;
        std::string header;
        std::optional<WebhookError> error;
    };
    const std::vector<Case> cases = {
        {"valid", kBody, kKnown, std::nullopt},
        {"upper_hex", kBody, upper, std::nullopt},
        {"missing", kBody, "", WebhookError::missing_signature},
        {"body_changed", kBody + " ", kKnown, WebhookError::bad_signature},
        {"one_nibble", kBody, flipped, WebhookError::bad_signature},
        {"sha1_prefix", kBody, "sha1=" + kKnown.substr(7), WebhookError::malformed_signature},
        {"no_prefix", kBody, kKnown.substr(7), WebhookError::malformed_signature},
        {"Sha256_case", kBody, "SHA256=" + kKnown.substr(7), WebhookError::malformed_signature},
        {"short_hex", kBody, kKnown.substr(0, kKnown.size() - 2), WebhookError::malformed_signature},
        {"long_hex", kBody, kKnown + "00", WebhookError::malformed_signature},
        {"non_hex", kBody, "sha256=" + std::string(64, 'g'), WebhookError::malformed_signature},
        {"space_after", kBody, kKnown + " ", WebhookError::malformed_signature},
        {"huge", kBody, "sha256=" + std::string(5000, 'a'), WebhookError::malformed_signature},
    };
    for (const Case& c : cases) {
        auto r = verify_sha256_header(b(kSecret), b(c.body), c.header);
        if (c.error) {
            ASSERT_FALSE(r) << c.name;
            EXPECT_EQ(r.error(), *c.error) << c.name;
        } else {
            EXPECT_TRUE(r) << c.name;
        }
    }
}

TEST(Timestamped, KnownAnswerFromOpenssl) {
    // printf '1700000000.Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody"
    EXPECT_EQ(sign_timestamped(b(kSecret), b(kBody), 1700000000),
              "t=1700000000,v1=76c83fd0acdf22faed320674fe8e04d528cfe8a17905e720a9611e40677c03b7");
}

TEST(Timestamped, ParserTable) {
    const std::string mac(64, 'a');
    struct Case {
        const char* name;
        std::string header;
        std::optional<WebhookError> error;
        std::size_t v1 = 0;
    };
    const std::vector<Case> cases = {
        {"plain", "t=1,v1=" + mac, std::nullopt, 1},
        {"v1_first", "v1=" + mac + ",t=1", std::nullopt, 1},
        {"two_v1", "t=1,v1=" + mac + ",v1=" + mac, std::nullopt, 2},
        {"v0_ignored", "t=1,v0=" + mac + ",v1=" + mac, std::nullopt, 1},
        {"empty", "", WebhookError::missing_signature},
        {"no_t", "v1=" + mac, WebhookError::malformed_signature},
        {"no_v1", "t=1", WebhookError::malformed_signature},
        {"two_t", "t=1,t=2,v1=" + mac, WebhookError::malformed_signature},
        {"negative_t", "t=-1,v1=" + mac, WebhookError::malformed_signature},
        {"huge_t", "t=9999999999999,v1=" + mac, WebhookError::malformed_signature},
        {"t_with_space", "t= 1,v1=" + mac, WebhookError::malformed_signature},
        {"space_after_comma", "t=1, v1=" + mac, WebhookError::malformed_signature},
        {"trailing_comma", "t=1,v1=" + mac + ",", WebhookError::malformed_signature},
        {"no_equals", "t=1,v1", WebhookError::malformed_signature},
        {"short_mac", "t=1,v1=abcd", WebhookError::malformed_signature},
        {"weird_scheme", "t=1,V1=" + mac + ",v1=" + mac, WebhookError::malformed_signature},
        {"too_many_v1", "t=1" + [&] { std::string s; for (int i = 0; i < 9; ++i) s += ",v1=" + mac; return s; }(),
         WebhookError::malformed_signature},
        {"too_long", "t=1,v1=" + mac + ",x=" + std::string(2000, 'a'), WebhookError::malformed_signature},
    };
    for (const Case& c : cases) {
        auto r = parse_timestamped_header(c.header);
        if (c.error) {
            ASSERT_FALSE(r) << c.name;
            EXPECT_EQ(r.error(), *c.error) << c.name;
        } else {
            ASSERT_TRUE(r) << c.name;
            EXPECT_EQ(r->v1.size(), c.v1) << c.name;
            EXPECT_EQ(r->timestamp, 1) << c.name;
        }
    }
}

TEST(Timestamped, ToleranceReplayAndRotation) {
    auto store = *store::open("memory://");
    const std::int64_t now = 1'700'000'000;
    std::vector<crypto::SecretBytes> secrets;
    secrets.emplace_back(std::string_view("new-secret"));
    secrets.emplace_back(std::string_view(kSecret));
    TimestampedVerifier verifier(std::move(secrets), store);

    std::string header = sign_timestamped(b(kSecret), b(kBody), now - 10);  // signed with the old secret
    EXPECT_TRUE(verifier.verify(b(kBody), header, now));
    EXPECT_EQ(verifier.verify(b(kBody), header, now).error(), WebhookError::replayed);
    // The replay record lives until the signature would be stale anyway.
    auto parsed = parse_timestamped_header(header);
    auto left = store->ttl("webhook:seen:" + crypto::hex_encode(parsed->v1[0]));
    ASSERT_TRUE(left && *left);
    EXPECT_LE(**left, std::chrono::seconds(300 - 10 + 1));
    EXPECT_GT(**left, std::chrono::seconds(300 - 10 - 1));

    struct Case {
        const char* name;
        std::string header;
        std::string body;
        WebhookError error;
    };
    const std::vector<Case> cases = {
        {"too_old", sign_timestamped(b(kSecret), b(kBody), now - 301), kBody, WebhookError::stale_timestamp},
        {"too_new", sign_timestamped(b(kSecret), b(kBody), now + 301), kBody, WebhookError::stale_timestamp},
        {"other_secret", sign_timestamped(b(std::string("nope")), b(kBody), now), kBody, WebhookError::bad_signature},
        {"body_changed", sign_timestamped(b(kSecret), b(kBody), now), kBody + "!", WebhookError::bad_signature},
        {"timestamp_moved", "t=" + std::to_string(now - 1) +
             sign_timestamped(b(kSecret), b(kBody), now).substr(12), kBody, WebhookError::bad_signature},
    };
    for (const Case& c : cases) {
        auto r = verifier.verify(b(c.body), c.header, now);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error(), c.error) << c.name;
    }
    EXPECT_TRUE(verifier.verify(b(kBody), sign_timestamped(b(std::string("new-secret")), b(kBody), now + 300), now));
    auto fake = std::make_shared<testing::FakeStore>();
    fake->fail = true;
    std::vector<crypto::SecretBytes> one;
    one.emplace_back(std::string_view(kSecret));
    TimestampedVerifier down(std::move(one), fake);
    EXPECT_EQ(down.verify(b(kBody), sign_timestamped(b(kSecret), b(kBody), now), now).error(),
              WebhookError::store_unavailable);
}

}  // namespace
}  // namespace bulwark::webhook
