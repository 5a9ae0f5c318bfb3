// Known-answer vectors: RFC 7515 appendix A.1-A.3 and RFC 8037 appendix A.4.
#include <bulwark/jwt.hpp>

#include <gtest/gtest.h>

namespace bulwark::jwt {
namespace {

constexpr std::string_view kPayloadB64 =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr std::int64_t kBeforeExpiry = 1300819000;  // the vectors expire at 1300819380

std::string token(std::string_view header, std::string_view sig) {
    return std::string(header) + "." + std::string(kPayloadB64) + "." + std::string(sig);
}

void expect_joe(const Jws& jws) {
    auto claims = parse_json_object(jws.payload);
    ASSERT_TRUE(claims);
    Validation v{kBeforeExpiry, std::chrono::seconds(0), "joe", std::nullopt};
    EXPECT_TRUE(validate_claims(*claims, v));
    EXPECT_EQ(claims->at("http://example.com/is_root"), true);
    v.now = 1300819380;
    auto late = validate_claims(*claims, v);
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), JwtError::expired);
}

TEST(RfcVectors, A1_HS256_SignsAndVerifies) {
    Key key = Key::from_jwk(Algorithm::hs256,
        R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})");
    const std::string header = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9";
    auto sig = key.sign_bytes(crypto::as_bytes(header + "." + std::string(kPayloadB64)));
    ASSERT_TRUE(sig);
    EXPECT_EQ(crypto::base64url_encode(*sig), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    KeySet keys({key});
    auto jws = verify_compact(token(header, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), keys);
    ASSERT_TRUE(jws) << error_name(jws.error());
    expect_joe(*jws);
}

TEST(RfcVectors, A2_RS256_Verifies) {
    Key key = Key::from_jwk(Algorithm::rs256, R"({"kty":"RSA","e":"AQAB","n":")"
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
        "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
        "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}");
    KeySet keys({key});
    const std::string sig =
        "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjb"
        "KBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZES"
        "c6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    auto jws = verify_compact(token("eyJhbGciOiJSUzI1NiJ9", sig), keys);
    ASSERT_TRUE(jws) << error_name(jws.error());
    expect_joe(*jws);
    std::string bad = sig;
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    auto refused = verify_compact(token("eyJhbGciOiJSUzI1NiJ9", bad), keys);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), JwtError::bad_signature);
}

TEST(RfcVectors, A3_ES256_Verifies) {
    Key key = Key::from_jwk(Algorithm::es256,
        R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
        R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})");
    EXPECT_TRUE(key.can_sign());
    KeySet keys({key});
    auto jws = verify_compact(token("eyJhbGciOiJFUzI1NiJ9",
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"), keys);
    ASSERT_TRUE(jws) << error_name(jws.error());
    expect_joe(*jws);
    // Our own ES256 signatures (random k) verify with the same key, in the 64-byte JOSE form.
    auto own = sign_compact(R"({"iss":"joe","exp":1300819380})", key);
    ASSERT_TRUE(own);
    EXPECT_EQ(own->substr(own->rfind('.') + 1).size(), 86u);
    EXPECT_TRUE(verify_compact(*own, keys));
}

TEST(RfcVectors, Rfc8037_A4_Ed25519SignsAndVerifies) {
    Key key = Key::from_jwk(Algorithm::eddsa,
        R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
        R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const std::string expected =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    auto sig = key.sign_bytes(crypto::as_bytes(input));
    ASSERT_TRUE(sig);
    EXPECT_EQ(crypto::base64url_encode(*sig), expected);
    KeySet keys({Key::from_jwk(Algorithm::eddsa,
        R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})")});
    auto jws = verify_compact(input + "." + expected, keys);
    ASSERT_TRUE(jws) << error_name(jws.error());
    EXPECT_EQ(jws->payload, "Example of Ed25519 signing");
    // The public JWK round-trips to the RFC's x.
    auto jwk = keys.find(std::nullopt)->public_jwk();
    ASSERT_TRUE(jwk);
    EXPECT_EQ(jwk->at("x"), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    EXPECT_EQ(jwk->at("crv"), "Ed25519");
}

TEST(RfcVectors, Ed25519JwkWithMismatchedXIsRefused) {
    EXPECT_THROW(Key::from_jwk(Algorithm::eddsa,
        R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",)"
        R"("x":"AAqYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})"), std::invalid_argument);
}

}  // namespace
}  // namespace bulwark::jwt
