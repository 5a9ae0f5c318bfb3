// The ID token check: an attack table, each case one way a token must be refused.
#include "test_helpers.hpp"

#include <gtest/gtest.h>

using namespace oidc_test;

namespace {

oidc::IdTokenCheck check() {
    return {kIssuer, kClientId, kNonce, kNow, std::chrono::seconds(30), std::chrono::seconds(600),
            {jwt::Algorithm::rs256, jwt::Algorithm::es256}};
}

const oidc::Jwks& keys() {
    static const oidc::Jwks set = *oidc::Jwks::parse(jwks_of({provider_key()}));
    return set;
}

boost::json::object with(const boost::json::object& changes) {
    auto c = good_claims();
    for (const auto& kv : changes) c[kv.key()] = kv.value();
    return c;
}
boost::json::object without(const char* name) {
    auto c = good_claims();
    c.erase(name);
    return c;
}

TEST(OidcIdToken, GoodTokenGivesTheIdentity) {
    auto who = oidc::verify_id_token(sign(good_claims()), keys(), check());
    ASSERT_TRUE(who) << oidc::error_name(who.error());
    EXPECT_EQ(who->issuer, kIssuer);
    EXPECT_EQ(who->subject, "248289761001");
    EXPECT_EQ(who->email, "alice@example.com");
    EXPECT_TRUE(who->email_verified);
}

TEST(OidcIdToken, AcceptedVariants) {
    const std::pair<const char*, boost::json::object> cases[] = {
        {"aud_array_with_azp", with({{"aud", boost::json::array{kClientId, "other"}}, {"azp", kClientId}})},
        {"aud_array_of_one", with({{"aud", boost::json::array{kClientId}}})},
        {"exp_within_leeway", with({{"exp", kNow - 20}})},
        {"iat_within_leeway", with({{"iat", kNow + 20}})},
    };
    for (const auto& [name, claims] : cases) {
        auto who = oidc::verify_id_token(sign(claims), keys(), check());
        EXPECT_TRUE(who) << name << ": " << (who ? "" : oidc::error_name(who.error()));
    }
}

TEST(OidcIdToken, AttackTable) {
    const auto other_key = jwt::Key::generate(jwt::Algorithm::rs256, "k1");  // same kid, not the provider's
    const auto good = sign(good_claims());
    const auto dot = good.rfind('.');
    std::string flipped = good;
    flipped[dot + 5] = flipped[dot + 5] == 'A' ? 'B' : 'A';
    const auto hs_key = jwt::Key::hmac(jwt::Algorithm::hs256,
                                       bulwark::crypto::SecretBytes(std::string_view(provider_key().public_pem())), "k1");
    struct Case {
        const char* name;
        std::string token;
        oidc::Error expected;
    };
    const Case cases[] = {
        {"wrong_audience", sign(with({{"aud", "someone-else"}})), oidc::Error::wrong_audience},
        {"no_audience", sign(without("aud")), oidc::Error::wrong_audience},
        {"audience_array_without_us", sign(with({{"aud", boost::json::array{"a", "b"}}})), oidc::Error::wrong_audience},
        {"several_audiences_no_azp", sign(with({{"aud", boost::json::array{kClientId, "b"}}})), oidc::Error::wrong_azp},
        {"azp_other_client", sign(with({{"azp", "other"}})), oidc::Error::wrong_azp},
        {"expired", sign(with({{"exp", kNow - 31}})), oidc::Error::expired},
        {"no_exp", sign(without("exp")), oidc::Error::missing_claim},
        {"exp_string", sign(with({{"exp", "9999999999"}})), oidc::Error::id_token_malformed},
        {"iat_in_future", sign(with({{"iat", kNow + 31}})), oidc::Error::issued_in_future},
        {"nbf_in_future", sign(with({{"nbf", kNow + 100}})), oidc::Error::issued_in_future},
        {"iat_too_old", sign(with({{"iat", kNow - 700}})), oidc::Error::too_old},
        {"no_iat", sign(without("iat")), oidc::Error::missing_claim},
        {"huge_iat", sign(with({{"iat", INT64_MIN}})), oidc::Error::too_old},
        {"wrong_issuer", sign(with({{"iss", "https://evil.example.com"}})), oidc::Error::wrong_issuer},
        {"no_issuer", sign(without("iss")), oidc::Error::wrong_issuer},
        {"wrong_nonce", sign(with({{"nonce", "n-other"}})), oidc::Error::nonce_mismatch},
        {"no_nonce", sign(without("nonce")), oidc::Error::nonce_mismatch},
        {"no_sub", sign(without("sub")), oidc::Error::missing_claim},
        {"empty_sub", sign(with({{"sub", ""}})), oidc::Error::missing_claim},
        {"forged_signature", sign(good_claims(), other_key), oidc::Error::bad_signature},
        {"flipped_signature", flipped, oidc::Error::bad_signature},
        {"alg_none", unsigned_token({{"alg", "none"}, {"kid", "k1"}}, good_claims()), oidc::Error::alg_not_allowed},
        {"alg_None", unsigned_token({{"alg", "None"}}, good_claims()), oidc::Error::alg_not_allowed},
        {"hs256_with_public_key", sign(good_claims(), hs_key), oidc::Error::alg_not_allowed},
        {"alg_not_allowed_here", sign(good_claims(), jwt::Key::generate(jwt::Algorithm::eddsa, "k1")),
         oidc::Error::alg_not_allowed},
        {"unknown_kid", sign(good_claims(), jwt::Key::generate(jwt::Algorithm::rs256, "k9")), oidc::Error::no_usable_key},
        {"no_alg", unsigned_token({{"kid", "k1"}}, good_claims(), "AAAA"), oidc::Error::id_token_malformed},
        {"crit_header", unsigned_token({{"alg", "RS256"}, {"kid", "k1"}, {"crit", boost::json::array{"x"}}},
                                       good_claims(), "AAAA"),
         oidc::Error::id_token_malformed},
        {"two_parts", "eyJhbGciOiJSUzI1NiJ9.e30", oidc::Error::id_token_malformed},
        {"garbage", "not a token", oidc::Error::id_token_malformed},
        {"empty", "", oidc::Error::id_token_malformed},
        {"too_large", std::string(jwt::kMaxTokenSize + 1, 'a'), oidc::Error::too_large},
    };
    for (const auto& c : cases) {
        auto r = oidc::verify_id_token(c.token, keys(), check());
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(oidc::error_name(r.error()), oidc::error_name(c.expected)) << c.name;
    }
}

TEST(OidcIdToken, NoKidNeedsAnUnambiguousKey) {
    auto key_without_kid = jwt::Key::generate(jwt::Algorithm::rs256);
    auto two = *oidc::Jwks::parse(jwks_of({provider_key(), jwt::Key::generate(jwt::Algorithm::rs256, "k2")}));
    auto token = sign(good_claims(), key_without_kid);
    EXPECT_EQ(oidc::verify_id_token(token, two, check()).error(), oidc::Error::no_usable_key);
    auto one = *oidc::Jwks::parse(jwks_of({key_without_kid}));
    EXPECT_TRUE(oidc::verify_id_token(token, one, check()));
}

}  // namespace
