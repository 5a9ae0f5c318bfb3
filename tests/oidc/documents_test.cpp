// Bad-input tables for the provider's documents: discovery, JWKS, token response.
#include "test_helpers.hpp"

#include <gtest/gtest.h>

using namespace oidc_test;

namespace {

struct DocCase {
    const char* name;
    std::string json;
    oidc::Error expected;
};

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

TEST(OidcDiscovery, GoodDocumentParses) {
    auto m = oidc::parse_discovery(discovery_json(), kIssuer);
    ASSERT_TRUE(m) << oidc::error_name(m.error());
    EXPECT_EQ(m->token_endpoint, kIssuer + "/token");
    EXPECT_EQ(m->jwks_uri, kIssuer + "/jwks");
    EXPECT_EQ(m->id_token_signing_alg_values_supported, std::vector<std::string>{"RS256"});
    EXPECT_EQ(oidc::discovery_url("https://a.example/x/"), "https://a.example/x/.well-known/openid-configuration");
}

TEST(OidcDiscovery, BadInputTable) {
    const std::string good = discovery_json();
    const DocCase cases[] = {
        {"empty", "", oidc::Error::malformed},
        {"not_json", "<html>", oidc::Error::malformed},
        {"array", "[]", oidc::Error::malformed},
        {"trailing_garbage", good + "x", oidc::Error::malformed},
        {"comment", "/*x*/" + good, oidc::Error::malformed},
        {"too_large", std::string(oidc::kMaxDocumentSize + 1, ' '), oidc::Error::too_large},
        {"deep", std::string(100, '[') + std::string(100, ']'), oidc::Error::malformed},
        {"issuer_mismatch", discovery_json("https://evil.example.com"), oidc::Error::issuer_mismatch},
        {"issuer_trailing_slash", discovery_json(kIssuer + "/"), oidc::Error::issuer_mismatch},
        {"issuer_not_string", replace(good, "\"issuer\":\"" + kIssuer + "\"", "\"issuer\":1"), oidc::Error::malformed},
        {"repeated_issuer", "{\"issuer\":\"" + kIssuer + "\"," + good.substr(1), oidc::Error::malformed},
        {"no_token_endpoint", replace(good, "token_endpoint", "x_endpoint"), oidc::Error::missing_field},
        {"empty_jwks_uri", replace(good, kIssuer + "/jwks", ""), oidc::Error::missing_field},
        {"http_token_endpoint", replace(good, kIssuer + "/token", "http://idp.example.com/token"),
         oidc::Error::insecure_url},
        {"javascript_authorize", replace(good, kIssuer + "/authorize", "javascript:alert(1)"),
         oidc::Error::insecure_url},
        {"userinfo_in_jwks", replace(good, kIssuer + "/jwks", "https://a@evil.example/jwks"),
         oidc::Error::insecure_url},
        {"fragment", replace(good, kIssuer + "/jwks", "https://idp.example.com/jwks#x"), oidc::Error::insecure_url},
        {"relative", replace(good, kIssuer + "/jwks", "/jwks"), oidc::Error::insecure_url},
        {"algs_not_array", replace(good, "[\"RS256\"]", "\"RS256\""), oidc::Error::malformed},
        {"no_s256", replace(good, "[\"S256\"]", "[\"plain\"]"), oidc::Error::missing_field},
        {"bad_utf8", replace(good, "code\"]", "code\xff\"]"), oidc::Error::malformed},
    };
    for (const auto& c : cases) {
        auto r = oidc::parse_discovery(c.json, kIssuer);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(oidc::error_name(r.error()), oidc::error_name(c.expected)) << c.name;
    }
}

TEST(OidcDiscovery, LoopbackHttpOnlyWithTheOptOut) {
    const std::string local = "http://127.0.0.1:8080";
    std::string doc = discovery_json(local);
    for (const std::string path : {"/authorize", "/token", "/jwks"}) doc = replace(doc, kIssuer + path, local + path);
    EXPECT_EQ(oidc::parse_discovery(doc, local).error(), oidc::Error::insecure_url);
    EXPECT_TRUE(oidc::parse_discovery(doc, local, oidc::InsecureHttp::allow_loopback_for_testing));
    const std::string remote = "http://idp.example.com";
    std::string doc2 = discovery_json(remote);
    for (const std::string path : {"/authorize", "/token", "/jwks"}) doc2 = replace(doc2, kIssuer + path, remote + path);
    EXPECT_EQ(oidc::parse_discovery(doc2, remote, oidc::InsecureHttp::allow_loopback_for_testing).error(),
              oidc::Error::insecure_url);
}

TEST(OidcJwks, KeepsSignatureKeysOnly) {
    auto ec = jwt::Key::generate(jwt::Algorithm::es256, "e1");
    auto set = oidc::Jwks::parse(jwks_of({provider_key(), ec}));
    ASSERT_TRUE(set);
    EXPECT_EQ(set->size(), 2u);
    EXPECT_TRUE(set->key_for("k1", jwt::Algorithm::rs256));
    EXPECT_TRUE(set->key_for("e1", jwt::Algorithm::es256));
    EXPECT_EQ(set->key_for("k1", jwt::Algorithm::es256).error(), oidc::Error::no_usable_key);  // alg pinned by the JWK
    EXPECT_EQ(set->key_for("nope", jwt::Algorithm::rs256).error(), oidc::Error::no_usable_key);
    EXPECT_EQ(set->key_for("k1", jwt::Algorithm::hs256).error(), oidc::Error::alg_not_allowed);
    EXPECT_TRUE(set->key_for(std::nullopt, jwt::Algorithm::rs256));  // one RSA key: unambiguous
}

TEST(OidcJwks, SkipsWhatItMustNotUse) {
    auto pub = *provider_key().public_jwk();
    auto with = [&](const boost::json::object& members) {
        auto k = pub;
        for (const auto& kv : members) k[kv.key()] = kv.value();
        return boost::json::serialize(boost::json::object{{"keys", boost::json::array{k}}});
    };
    const std::pair<const char*, std::string> skipped[] = {
        {"encryption_key", with({{"use", "enc"}})},
        {"symmetric", R"({"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","kid":"h"}]})"},
        {"hmac_alg", with({{"alg", "HS256"}})},
        {"unknown_alg", with({{"alg", "RS1"}})},
        {"alg_for_other_kty", with({{"alg", "ES256"}})},
        {"private_part", with({{"d", "AAAA"}})},
        {"bad_modulus", with({{"n", "AQAB"}})},
        {"unknown_kty", R"({"keys":[{"kty":"XYZ"}]})"},
    };
    for (const auto& [name, json] : skipped) {
        auto set = oidc::Jwks::parse(json);
        ASSERT_TRUE(set) << name;
        EXPECT_EQ(set->size(), 0u) << name;
    }
}

TEST(OidcJwks, BadInputTable) {
    std::string many = R"({"keys":[)";
    for (int i = 0; i < 33; ++i) many += std::string(i ? "," : "") + R"({"kty":"RSA"})";
    many += "]}";
    const DocCase cases[] = {
        {"empty", "", oidc::Error::malformed},
        {"no_keys", "{}", oidc::Error::missing_field},
        {"keys_object", R"({"keys":{}})", oidc::Error::malformed},
        {"key_not_object", R"({"keys":[1]})", oidc::Error::malformed},
        {"kty_missing", R"({"keys":[{"n":"AQAB"}]})", oidc::Error::missing_field},
        {"kty_number", R"({"keys":[{"kty":3}]})", oidc::Error::malformed},
        {"kid_number", R"({"keys":[{"kty":"RSA","kid":3}]})", oidc::Error::malformed},
        {"repeated_kid", R"({"keys":[{"kty":"RSA","kid":"a","kid":"b"}]})", oidc::Error::malformed},
        {"too_many_keys", many, oidc::Error::too_large},
        {"too_large", std::string(oidc::kMaxDocumentSize + 1, '{'), oidc::Error::too_large},
    };
    for (const auto& c : cases) {
        auto r = oidc::Jwks::parse(c.json);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(oidc::error_name(r.error()), oidc::error_name(c.expected)) << c.name;
    }
}

TEST(OidcTokenResponse, Table) {
    struct Case {
        const char* name;
        long status;
        std::string json;
        std::optional<oidc::Error> expected;
    };
    const Case cases[] = {
        {"good", 200, R"({"token_type":"Bearer","id_token":"a.b.c","access_token":"x"})", std::nullopt},
        {"bearer_lower_case", 200, R"({"token_type":"bearer","id_token":"a.b.c"})", std::nullopt},
        {"invalid_grant", 400, R"({"error":"invalid_grant"})", oidc::Error::token_rejected},
        {"bad_client", 401, R"({"error":"invalid_client"})", oidc::Error::token_rejected},
        {"server_error", 500, "oops", oidc::Error::http_status},
        {"redirect", 302, "", oidc::Error::http_status},
        {"mac_token", 200, R"({"token_type":"mac","id_token":"a.b.c"})", oidc::Error::malformed},
        {"no_token_type", 200, R"({"id_token":"a.b.c"})", oidc::Error::missing_field},
        {"no_id_token", 200, R"({"token_type":"Bearer","access_token":"x"})", oidc::Error::missing_field},
        {"id_token_number", 200, R"({"token_type":"Bearer","id_token":5})", oidc::Error::malformed},
        {"id_token_huge", 200, R"({"token_type":"Bearer","id_token":")" + std::string(9000, 'a') + "\"}",
         oidc::Error::too_large},
        {"repeated_id_token", 200, R"({"token_type":"Bearer","id_token":"a.b.c","id_token":"d.e.f"})",
         oidc::Error::malformed},
        {"not_json", 200, "id_token=a.b.c", oidc::Error::malformed},
    };
    for (const auto& c : cases) {
        auto r = oidc::parse_token_response(c.status, c.json);
        if (!c.expected) {
            ASSERT_TRUE(r) << c.name << ": " << oidc::error_name(r.error());
            EXPECT_EQ(r->id_token, "a.b.c");
            continue;
        }
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(oidc::error_name(r.error()), oidc::error_name(*c.expected)) << c.name;
    }
}

}  // namespace
