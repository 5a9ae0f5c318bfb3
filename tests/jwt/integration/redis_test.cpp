// Revocation, refresh reuse and webhook replay over a real Redis (BULWARK_TEST_REDIS_URL):
// two Managers sharing one Redis behave as two instances of the app.
#include "support/test_env.hpp"

#include <bulwark/jwt.hpp>
#include <bulwark/webhook.hpp>

#include <gtest/gtest.h>

namespace bulwark::jwt {
namespace {

std::shared_ptr<store::Store> redis(const std::string& url) {
    std::string with_prefix = url + (url.find('?') == std::string::npos ? "?" : "&") + "prefix=test-jwt:";
    auto s = store::open(with_prefix);
    if (!s) throw std::runtime_error("cannot open the Redis store");
    return *s;
}

TEST(RedisIntegration, RevocationIsSeenByEveryInstance) {
    BULWARK_SERVICE_URL_OR_SKIP(url, "BULWARK_TEST_REDIS_URL");
    Key key = Key::generate(Algorithm::hs256, "k");
    Config config;
    config.store_prefix = "jwt:" + crypto::random_token(8) + ":";
    Manager a({key}, config, redis(url));
    Manager b({key}, config, redis(url));
    auto pair = a.issue_pair("alice");
    ASSERT_TRUE(pair);
    auto claims = b.verify(pair->access_token, TokenType::access);
    ASSERT_TRUE(claims) << error_name(claims.error());
    ASSERT_TRUE(a.revoke(*claims));
    EXPECT_EQ(b.verify(pair->access_token, TokenType::access).error(), JwtError::revoked);

    auto rotated = b.refresh(pair->refresh_token);
    ASSERT_TRUE(rotated) << error_name(rotated.error());
    EXPECT_EQ(a.refresh(pair->refresh_token).error(), JwtError::refresh_reused);
    EXPECT_EQ(b.verify(rotated->access_token, TokenType::access).error(), JwtError::revoked);
}

TEST(RedisIntegration, WebhookReplayAcrossInstances) {
    BULWARK_SERVICE_URL_OR_SKIP(url, "BULWARK_TEST_REDIS_URL");
    const std::string secret = "whsec-" + crypto::random_token(8);
    auto make = [&] {
        std::vector<crypto::SecretBytes> s;
        s.emplace_back(std::string_view(secret));
        return webhook::TimestampedVerifier(std::move(s), redis(url));
    };
    auto one = make();
    auto two = make();
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string body = R"({"event":")" + crypto::random_token(8) + "\"}";
    std::string header = webhook::sign_timestamped(crypto::as_bytes(secret), crypto::as_bytes(body), now);
    EXPECT_TRUE(one.verify(crypto::as_bytes(body), header, now));
    EXPECT_EQ(two.verify(crypto::as_bytes(body), header, now).error(), webhook::WebhookError::replayed);
}

}  // namespace
}  // namespace bulwark::jwt
