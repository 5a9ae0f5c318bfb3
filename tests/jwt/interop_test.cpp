// Interop both directions with Debian's python3-jwt (PyJWT) and python3-jwcrypto for every
// algorithm: tests/jwt/interop.py verifies Bulwark's tokens (keys from PEM and from our
// JWKS) and signs tokens that Bulwark must verify.
#include <bulwark/store.hpp>

#include <bulwark/jwt.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

TEST(Interop, PyJwtAndJwcryptoBothDirections) {
    ASSERT_EQ(std::system("/usr/bin/python3 -c 'import jwt, jwcrypto' 2>/dev/null"), 0)
        << "install python3-jwt and python3-jwcrypto";
    char templ[] = "/tmp/bulwark-jwt-interop-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    std::filesystem::path dir = templ;

    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count();
    std::map<Algorithm, Key> keys;
    json::array key_list, token_list;
    for (Algorithm alg : {Algorithm::hs256, Algorithm::hs384, Algorithm::hs512, Algorithm::rs256,
                          Algorithm::ps256, Algorithm::es256, Algorithm::eddsa}) {
        std::string kid = "kid-" + std::string(algorithm_name(alg));
        json::object entry{{"alg", algorithm_name(alg)}, {"kid", kid}};
        std::optional<Key> key;
        if (alg == Algorithm::hs256 || alg == Algorithm::hs384 || alg == Algorithm::hs512) {
            crypto::Bytes secret = crypto::random_bytes(64);
            entry["hmac_hex"] = crypto::hex_encode(secret);
            key = Key::hmac(alg, crypto::SecretBytes(crypto::ByteView(secret)), kid);
        } else {
            key = Key::generate(alg, kid);
            entry["private_pem"] = key->private_pem();
            entry["public_pem"] = key->public_pem();
        }
        keys.emplace(alg, *key);
        key_list.push_back(entry);
        json::object claims{{"sub", "interop-bulwark"}, {"iss", "bulwark"}, {"aud", "api"},
                            {"iat", now}, {"nbf", now}, {"exp", now + 300}, {"jti", crypto::random_token(16)}};
        auto token = sign_compact(json::serialize(claims), *key);
        ASSERT_TRUE(token);
        token_list.push_back(json::object{{"alg", algorithm_name(alg)}, {"token", *token}});
    }
    std::vector<Key> all;
    for (auto& [alg, k] : keys) all.push_back(k);
    KeySet set(all);
    write(dir / "keys.json", json::serialize(key_list));
    write(dir / "bulwark_tokens.json", json::serialize(token_list));
    write(dir / "jwks.json", set.jwks());

    std::string cmd = "/usr/bin/python3 tests/jwt/interop.py " + dir.string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "Python refused Bulwark tokens (see output above)";

    std::ifstream in(dir / "python_tokens.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    auto produced = json::parse(text).as_array();
    EXPECT_EQ(produced.size(), 14u);
    for (const auto& item : produced) {
        std::string alg(item.at("alg").as_string());
        std::string lib(item.at("lib").as_string());
        SCOPED_TRACE(lib + " " + alg);
        auto jws = verify_compact(std::string_view(item.at("token").as_string()), set);
        ASSERT_TRUE(jws) << error_name(jws.error());
        auto claims = parse_json_object(jws->payload);
        ASSERT_TRUE(claims);
        Validation v{now, std::chrono::seconds(30), "bulwark", "api"};
        EXPECT_TRUE(validate_claims(*claims, v));
        EXPECT_EQ(claims->at("sub"), "interop-python");
        // And the same token is refused by a key of another algorithm under the same kid.
        Key other = alg == "HS256" ? Key::generate(Algorithm::hs512, "kid-HS256")
                                   : Key::generate(Algorithm::hs256, "kid-" + alg);
        auto confused = verify_compact(std::string_view(item.at("token").as_string()), KeySet({other}));
        ASSERT_FALSE(confused);
        EXPECT_EQ(confused.error(), JwtError::algorithm_mismatch);
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bulwark::jwt
