// The attack corpus: every forged, stale, oversized or ambiguous token is refused, each
// with its own error (so a 401 reason is right and a test cannot pass by accident).
#include <bulwark/store.hpp>

#include <bulwark/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace bulwark::jwt {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::string b64(std::string_view s) { return crypto::base64url_encode(crypto::as_bytes(s)); }

// forge signs arbitrary header and payload text with `key` (whatever the header claims).
std::string forge(const Key& key, std::string_view header, std::string_view payload) {
    std::string input = b64(header) + "." + b64(payload);
    auto sig = key.sign_bytes(crypto::as_bytes(input));
    return input + "." + crypto::base64url_encode(*sig);
}

std::string claims_json(std::int64_t exp, std::string extra = {}) {
    return R"({"sub":"alice","jti":"j1","type":"access","iat":)" + std::to_string(kNow - 10) +
           R"(,"exp":)" + std::to_string(exp) + extra + "}";
}

struct Fixture {
    Key hmac = Key::hmac(Algorithm::hs256, crypto::SecretBytes(std::string(32, 'k')), "h1");
    Key rsa = Key::generate(Algorithm::rs256, "r1");
    std::shared_ptr<store::Store> store = *store::open("memory://");
    std::unique_ptr<Manager> hs_manager;
    std::unique_ptr<Manager> rs_manager;
    Fixture() {
        Config config;
        config.issuer = "bulwark";
        config.audience = "api";
        hs_manager = std::make_unique<Manager>(std::vector<Key>{hmac}, config, store);
        rs_manager = std::make_unique<Manager>(std::vector<Key>{rsa}, config, store);
        hs_manager->set_clock_for_testing([] { return kNow; });
        rs_manager->set_clock_for_testing([] { return kNow; });
    }
};

const std::string kHs = R"({"alg":"HS256","typ":"JWT","kid":"h1"})";
const std::string kAudIss = R"(,"iss":"bulwark","aud":"api")";

struct Case {
    const char* name;
    std::function<std::string(Fixture&)> make;
    JwtError expected;
    bool use_rsa = false;
};

TEST(Attacks, EveryCaseIsRefusedWithItsError) {
    Fixture f;
    const std::vector<Case> cases = {
        {"alg_none", [](Fixture&) {
             return b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(claims_json(kNow + 60, kAudIss)) + ".";
         }, JwtError::algorithm_mismatch},
        {"alg_none_with_kid", [](Fixture&) {
             return b64(R"({"alg":"none","kid":"h1"})") + "." + b64(claims_json(kNow + 60, kAudIss)) + ".";
         }, JwtError::algorithm_mismatch},
        {"alg_NONE_uppercase", [](Fixture&) {
             return b64(R"({"alg":"NONE","kid":"h1"})") + "." + b64(claims_json(kNow + 60, kAudIss)) + ".";
         }, JwtError::algorithm_mismatch},
        {"hs256_signed_with_rsa_public_key", [](Fixture& fx) {
             // The classic confusion: the attacker HMACs with the public PEM as the secret.
             std::string pem = fx.rsa.public_pem();
             Key evil = Key::hmac(Algorithm::hs256, crypto::SecretBytes(pem), "r1");
             return forge(evil, R"({"alg":"HS256","kid":"r1"})", claims_json(kNow + 60, kAudIss));
         }, JwtError::algorithm_mismatch, true},
        {"rs256_header_on_hmac_key", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"RS256","kid":"h1"})", claims_json(kNow + 60, kAudIss));
         }, JwtError::algorithm_mismatch},
        {"stripped_signature", [](Fixture& fx) {
             std::string t = forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss));
             return t.substr(0, t.rfind('.') + 1);
         }, JwtError::bad_signature},
        {"tampered_payload", [](Fixture& fx) {
             std::string t = forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss));
             std::size_t a = t.find('.'), b = t.rfind('.');
             return t.substr(0, a + 1) + b64(R"({"sub":"admin","jti":"j1","type":"access","exp":9999999999})") + t.substr(b);
         }, JwtError::bad_signature},
        {"signature_of_other_key", [](Fixture&) {
             Key other = Key::hmac(Algorithm::hs256, crypto::SecretBytes(std::string(32, 'x')), "h1");
             return forge(other, kHs, claims_json(kNow + 60, kAudIss));
         }, JwtError::bad_signature},
        {"unknown_kid", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","kid":"nope"})", claims_json(kNow + 60, kAudIss));
         }, JwtError::unknown_key},
        {"expired", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow - 31, kAudIss));
         }, JwtError::expired},
        {"expired_exactly_at_leeway", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow - 30, kAudIss));
         }, JwtError::expired},
        {"missing_exp", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"alice","jti":"j1","type":"access","iss":"bulwark","aud":"api"})");
         }, JwtError::missing_claim},
        {"string_exp", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","jti":"j","type":"access","exp":"9999999999"})");
         }, JwtError::bad_claim},
        {"fractional_exp", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","jti":"j","type":"access","exp":9999999999.5})");
         }, JwtError::bad_claim},
        {"future_nbf", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 600, kAudIss + ",\"nbf\":" + std::to_string(kNow + 120)));
         }, JwtError::not_yet_valid},
        {"future_iat", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","jti":"j","type":"access","iat":)" +
                          std::to_string(kNow + 120) + R"(,"exp":)" + std::to_string(kNow + 600) + kAudIss + "}");
         }, JwtError::issued_in_future},
        {"wrong_issuer", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, R"(,"iss":"evil","aud":"api")"));
         }, JwtError::wrong_issuer},
        {"missing_issuer", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, R"(,"aud":"api")"));
         }, JwtError::wrong_issuer},
        {"wrong_audience", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, R"(,"iss":"bulwark","aud":["other","more"])"));
         }, JwtError::wrong_audience},
        {"huge_token", [](Fixture&) { return std::string(kMaxTokenSize + 1, 'a'); }, JwtError::too_large},
        {"bad_base64_header", [](Fixture& fx) {
             std::string t = forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss));
             return "eyJ*" + t.substr(3);
         }, JwtError::malformed},
        {"padded_base64_signature", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss)) + "=";
         }, JwtError::malformed},
        {"two_parts", [](Fixture&) { return b64(kHs) + "." + b64("{}"); }, JwtError::malformed},
        {"five_parts_jwe", [](Fixture&) { return std::string("a.b.c.d.e"); }, JwtError::malformed},
        {"empty", [](Fixture&) { return std::string(); }, JwtError::missing},
        {"header_not_json", [](Fixture&) { return b64("not json") + "." + b64("{}") + ".AAAA"; }, JwtError::malformed},
        {"header_array", [](Fixture&) { return b64(R"(["HS256"])") + "." + b64("{}") + ".AAAA"; }, JwtError::malformed},
        {"duplicate_header_alg", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","alg":"none","kid":"h1"})", claims_json(kNow + 60, kAudIss));
         }, JwtError::duplicate_name},
        {"duplicate_claim_sub", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + R"(,"sub":"admin")"));
         }, JwtError::duplicate_name},
        {"duplicate_nested_key", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + R"(,"x":{"a":1,"a":2})"));
         }, JwtError::duplicate_name},
        {"crit_header", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","kid":"h1","crit":["exp"],"exp":1})", claims_json(kNow + 60, kAudIss));
         }, JwtError::unsupported_crit},
        {"crit_b64_false", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","kid":"h1","b64":false,"crit":["b64"]})", claims_json(kNow + 60, kAudIss));
         }, JwtError::unsupported_crit},
        {"typ_not_jwt", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","kid":"h1","typ":"at+jwt+evil"})", claims_json(kNow + 60, kAudIss));
         }, JwtError::bad_header},
        {"kid_not_string", [](Fixture& fx) {
             return forge(fx.hmac, R"({"alg":"HS256","kid":1})", claims_json(kNow + 60, kAudIss));
         }, JwtError::bad_header},
        {"refresh_where_access_needed", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","jti":"j","type":"refresh","exp":)" +
                          std::to_string(kNow + 60) + kAudIss + "}");
         }, JwtError::wrong_token_type},
        {"missing_jti", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","type":"access","exp":)" + std::to_string(kNow + 60) + kAudIss + "}");
         }, JwtError::missing_claim},
        {"jti_over_kMaxClaimId", [](Fixture& fx) {
             return forge(fx.hmac, kHs, R"({"sub":"a","type":"access","jti":")" + std::string(kMaxClaimId + 1, 'j') +
                          R"(","exp":)" + std::to_string(kNow + 60) + kAudIss + "}");
         }, JwtError::bad_claim},
        {"csrf_over_kMaxClaimId", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + R"(,"csrf":")" + std::string(kMaxClaimId + 1, 'c') + "\""));
         }, JwtError::bad_claim},
        {"fam_over_kMaxClaimId", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + R"(,"fam":")" + std::string(kMaxClaimId + 1, 'f') + "\""));
         }, JwtError::bad_claim},
        {"fam_not_string", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + R"(,"fam":7)"));
         }, JwtError::bad_claim},
        {"payload_with_comment", [](Fixture& fx) {
             return forge(fx.hmac, kHs, "/*x*/" + claims_json(kNow + 60, kAudIss));
         }, JwtError::malformed},
        {"payload_trailing_garbage", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss) + "x");
         }, JwtError::malformed},
        {"payload_invalid_utf8", [](Fixture& fx) {
             return forge(fx.hmac, kHs, claims_json(kNow + 60, kAudIss + ",\"n\":\"\xff\""));
         }, JwtError::malformed},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        std::string token = c.make(f);
        Manager& m = c.use_rsa ? *f.rs_manager : *f.hs_manager;
        auto r = m.verify(token, TokenType::access);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(error_name(r.error()), error_name(c.expected)) << c.name;
        // No reason ever quotes the token.
        if (token.size() > 8) {
            EXPECT_EQ(std::string(error_message(r.error())).find(token.substr(0, 8)), std::string::npos);
        }
    }
}

TEST(Attacks, ControlTokenOfTheSameShapeIsAccepted) {
    // Guards the table above: a correct token built the same way passes.
    Fixture f;
    auto r = f.hs_manager->verify(forge(f.hmac, kHs, claims_json(kNow + 60, kAudIss)), TokenType::access);
    ASSERT_TRUE(r) << error_name(r.error());
    EXPECT_EQ(r->subject, "alice");
    auto within_leeway = f.hs_manager->verify(forge(f.hmac, kHs, claims_json(kNow - 29, kAudIss)), TokenType::access);
    EXPECT_TRUE(within_leeway);
}

TEST(Attacks, ClaimIdsUpToTheLimitAreKept) {
    Fixture f;
    const std::string jti(kMaxClaimId, 'j'), csrf(kMaxClaimId, 'c');
    auto r = f.hs_manager->verify(
        forge(f.hmac, kHs, R"({"sub":"a","type":"access","jti":")" + jti + R"(","csrf":")" + csrf +
                               R"(","exp":)" + std::to_string(kNow + 60) + kAudIss + "}"),
        TokenType::access);
    ASSERT_TRUE(r) << error_name(r.error());
    EXPECT_EQ(r->jti, jti);
    EXPECT_EQ(r->csrf, csrf);
    EXPECT_TRUE(r->family.empty());
    EXPECT_TRUE(check_csrf(*r, csrf));
}

TEST(ClaimIdType, HoldsAndComparesItsText) {
    ClaimId id;
    EXPECT_TRUE(id.empty());
    id = "abc";
    EXPECT_EQ(id.view(), "abc");
    EXPECT_EQ(id.size(), 3u);
    EXPECT_EQ(id.str(), std::string("abc"));
    EXPECT_TRUE(id == ClaimId(std::string_view("abc")));
    EXPECT_FALSE(id == ClaimId(std::string_view("abd")));
    ClaimId copy = id;
    id = std::string(kMaxClaimId, 'x');
    EXPECT_EQ(copy.view(), "abc");  // copies own their bytes
    EXPECT_EQ(id.size(), kMaxClaimId);
    EXPECT_THROW(id = std::string(kMaxClaimId + 1, 'x'), std::length_error);
    EXPECT_EQ(id.size(), kMaxClaimId);  // unchanged by the refused assignment
    id.clear();
    EXPECT_TRUE(id.empty());
}

TEST(Attacks, NoAudienceConfiguredRefusesTokensNamingOne) {
    Key k = Key::hmac(Algorithm::hs256, crypto::SecretBytes(std::string(32, 'k')), "h1");
    Manager m({k}, Config{}, *store::open("memory://"));
    m.set_clock_for_testing([] { return kNow; });
    auto r = m.verify(forge(k, kHs, claims_json(kNow + 60, R"(,"aud":"elsewhere")")), TokenType::access);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), JwtError::wrong_audience);
}

}  // namespace
}  // namespace bulwark::jwt
