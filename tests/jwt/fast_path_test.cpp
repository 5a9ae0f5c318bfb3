// The allocation-free verification path: HmacState against OpenSSL's one-shot HMAC and RFC 4231,
// and the ObjectReader against the DOM reader (same verdict, same error, same members) on a
// table of good and bad inputs.
#include "../../src/jwt/compact.hpp"
#include "../../src/jwt/hmac_state.hpp"
#include "../../src/jwt/registered_claims.hpp"
#include "fake_store.hpp"

#include <bulwark/jwt.hpp>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>

namespace bulwark::jwt {
namespace {

TEST(HmacState, Rfc4231TestCase2) {
    // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
    std::string key = "Jefe", data = "what do ya want for nothing?";
    struct Case {
        Algorithm alg;
        std::string hex;
    } cases[] = {
        {Algorithm::hs256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {Algorithm::hs384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
                           "8e2240ca5e69e2c78b3239ecfab21649"},
        {Algorithm::hs512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
                           "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(algorithm_name(c.alg)));
        HmacState state(c.alg, crypto::as_bytes(key));
        std::uint8_t out[kMaxMacSize];
        std::size_t n = state.mac(crypto::as_bytes(data), out);
        EXPECT_EQ(crypto::hex_encode(crypto::ByteView(out, n)), c.hex);
    }
}

TEST(HmacState, AgreesWithOpenSslForEveryKeyAndDataLength) {
    for (Algorithm alg : {Algorithm::hs256, Algorithm::hs384, Algorithm::hs512}) {
        const EVP_MD* md = alg == Algorithm::hs256 ? EVP_sha256() : alg == Algorithm::hs384 ? EVP_sha384() : EVP_sha512();
        for (std::size_t key_size : {1u, 32u, 63u, 64u, 65u, 127u, 128u, 129u, 300u}) {
            crypto::Bytes key = crypto::random_bytes(key_size);
            HmacState state(alg, key);
            for (std::size_t data_size : {0u, 1u, 55u, 56u, 64u, 111u, 112u, 128u, 1000u}) {
                crypto::Bytes data = crypto::random_bytes(data_size);
                std::uint8_t ours[kMaxMacSize], theirs[EVP_MAX_MD_SIZE];
                unsigned int their_size = 0;
                std::size_t n = state.mac(data, ours);
                HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), theirs, &their_size);
                ASSERT_EQ(n, their_size);
                EXPECT_EQ(crypto::ByteView(ours, n).size(), their_size);
                EXPECT_TRUE(std::equal(ours, ours + n, theirs))
                    << algorithm_name(alg) << " key " << key_size << " data " << data_size;
            }
        }
    }
    EXPECT_THROW(HmacState(Algorithm::es256, crypto::as_bytes("k")), std::invalid_argument);
}

struct ReaderCase {
    const char* name;
    std::string json;
    std::optional<JwtError> error;  // nullopt: accepted
};

std::vector<ReaderCase> reader_cases() {
    std::string deep(17, '[');
    deep += std::string(17, ']');
    std::string deep_obj;
    for (int i = 0; i < 16; ++i) deep_obj += "{\"a\":";
    deep_obj += "1" + std::string(16, '}');
    std::string wide = "{";
    for (int i = 0; i < 257; ++i) wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    wide += "}";
    std::string long_array = "{\"aud\":[";
    for (int i = 0; i < 257; ++i) long_array += i ? ",\"a\"" : "\"a\"";
    long_array += "]}";
    return {
        {"empty_object", "{}", std::nullopt},
        {"claims", R"({"sub":"alice","exp":2000000000,"aud":["x","api"],"fresh":true,"n":null})", std::nullopt},
        {"nested_custom", R"({"exp":1,"role":{"a":[1,{"b":2}],"c":"d"},"aud":"api"})", std::nullopt},
        {"same_name_in_sibling_objects", R"({"x":{"a":1},"y":{"a":2},"a":3})", std::nullopt},
        {"escaped_strings", R"({"sub":"al\u0069ce\n","iss":"\ud83d\ude00"})", std::nullopt},
        {"large_and_negative_numbers", R"({"exp":18446744073709551615,"nbf":-5,"iat":1e3})", std::nullopt},
        {"aud_mixed_array", R"({"aud":["a",1,"b"]})", std::nullopt},
        {"aud_nested_array", R"({"aud":[["a"],"b"]})", std::nullopt},
        {"whitespace", " \t{ \"sub\" : \"a\" }\n", std::nullopt},
        {"depth_16_objects", deep_obj, std::nullopt},
        {"empty", "", JwtError::malformed},
        {"root_array", "[]", JwtError::malformed},
        {"root_string", "\"x\"", JwtError::malformed},
        {"root_number", "1", JwtError::malformed},
        {"duplicate", R"({"sub":"a","sub":"b"})", JwtError::duplicate_name},
        {"duplicate_escaped", R"({"sub":"a","\u0073ub":"b"})", JwtError::duplicate_name},
        {"duplicate_nested", R"({"x":{"a":1,"a":2}})", JwtError::duplicate_name},
        {"duplicate_in_root_array", R"([{"a":1,"a":2}])", JwtError::duplicate_name},
        {"duplicate_after_nested_close", R"({"a":{"b":1},"a":2})", JwtError::duplicate_name},
        {"trailing_garbage", R"({"a":1}x)", JwtError::malformed},
        {"two_documents", R"({}{})", JwtError::malformed},
        {"trailing_comma", R"({"a":1,})", JwtError::malformed},
        {"comment", R"({"a":1/*x*/})", JwtError::malformed},
        {"single_quotes", R"({'a':1})", JwtError::malformed},
        {"unterminated", R"({"a":"b)", JwtError::malformed},
        {"invalid_utf8", "{\"a\":\"\xff\"}", JwtError::malformed},
        {"lone_surrogate_escape", R"({"a":"\ud800"})", std::nullopt},
        {"control_character", "{\"a\":\"\x01\"}", JwtError::malformed},
        {"bad_escape", R"({"a":"\x"})", JwtError::malformed},
        {"nan", R"({"a":NaN})", JwtError::malformed},
        {"leading_zero", R"({"a":01})", JwtError::malformed},
        {"too_deep", deep, JwtError::malformed},
        {"too_many_members", wide, JwtError::malformed},
        {"too_many_elements", long_array, JwtError::malformed},
        {"key_too_long", "{\"" + std::string(257, 'k') + "\":1}", JwtError::malformed},
        {"too_large", "{\"a\":\"" + std::string(kMaxTokenSize, 'a') + "\"}", JwtError::too_large},
    };
}

TEST(ObjectReader, SameVerdictAsTheDomReader) {
    auto reader = std::make_unique<ObjectReader>();
    for (const ReaderCase& c : reader_cases()) {
        SCOPED_TRACE(c.name);
        auto fast = reader->read(c.json);
        auto dom = parse_json_object(c.json);
        ASSERT_EQ(static_cast<bool>(fast), static_cast<bool>(dom));
        if (!dom) {
            EXPECT_EQ(error_name(fast.error()), error_name(dom.error()));
            if (c.error) {
                EXPECT_EQ(error_name(dom.error()), error_name(*c.error));
            }
            continue;
        }
        EXPECT_FALSE(c.error) << "the table expected a refusal";
        EXPECT_EQ(reader->top_level_count(), dom->size());
    }
}

TEST(ObjectReader, KeepsTheRegisteredMembers) {
    auto r = std::make_unique<ObjectReader>();
    ASSERT_TRUE(r->read(R"({"sub":"al\u0069ce","exp":2000000000,"nbf":-5,"big":1,)"
                        R"("aud":["x","api"],"fresh":false,"iat":18446744073709551615,)"
                        R"("iss":{"exp":1},"jti":1.5,"alg":null})"));
    EXPECT_EQ((*r)[Name::sub].kind, Kind::string);
    EXPECT_EQ((*r)[Name::sub].text, "alice");
    EXPECT_EQ((*r)[Name::exp].kind, Kind::int64);
    EXPECT_EQ((*r)[Name::exp].i, 2000000000);
    EXPECT_EQ((*r)[Name::nbf].i, -5);
    EXPECT_EQ((*r)[Name::iat].kind, Kind::uint64);
    EXPECT_EQ((*r)[Name::fresh].kind, Kind::boolean);
    EXPECT_FALSE((*r)[Name::fresh].b);
    EXPECT_EQ((*r)[Name::iss].kind, Kind::object);  // the nested exp is not the root's
    EXPECT_EQ((*r)[Name::jti].kind, Kind::number);
    EXPECT_EQ((*r)[Name::alg].kind, Kind::null);
    EXPECT_EQ((*r)[Name::typ].kind, Kind::absent);
    const Member& aud = (*r)[Name::aud];
    ASSERT_EQ(aud.kind, Kind::array);
    ASSERT_TRUE(aud.all_strings);
    ASSERT_EQ(aud.count, 2);
    EXPECT_EQ(r->array_element(aud.first), "x");
    EXPECT_EQ(r->array_element(aud.first + 1), "api");
    EXPECT_EQ(r->top_level_count(), 10u);
}

TEST(RegisteredClaims, SameVerdictFromBothReaders) {
    const char* claim_sets[] = {
        R"({"exp":1700000100})", R"({})", R"({"exp":"1700000100"})", R"({"exp":1.7e9})",
        R"({"exp":18446744073709551615})", R"({"exp":1700000100,"nbf":1700000100})",
        R"({"exp":1700000100,"iat":1700000100,"nbf":true})", R"({"exp":1699999000})",
        R"({"exp":1700000100,"iss":"iss","aud":"api"})", R"({"exp":1700000100,"iss":"other","aud":"api"})",
        R"({"exp":1700000100,"iss":"iss","aud":["x","api"]})", R"({"exp":1700000100,"iss":"iss","aud":["x",1,"api"]})",
        R"({"exp":1700000100,"iss":"iss","aud":[]})", R"({"exp":1700000100,"iss":"iss","aud":{"api":1}})",
        R"({"exp":1700000100,"sub":5})", R"({"exp":1700000100,"jti":null})", R"({"exp":1700000100,"iss":1})",
    };
    auto reader = std::make_unique<ObjectReader>();
    for (const char* json : claim_sets) {
        SCOPED_TRACE(json);
        auto dom = parse_json_object(json);
        ASSERT_TRUE(dom);
        ASSERT_TRUE(reader->read(json));
        for (Validation v : {Validation{1'700'000'000, std::chrono::seconds(30), "iss", "api"},
                             Validation{1'700'000'000, std::chrono::seconds(0), std::nullopt, std::nullopt},
                             Validation{1'700'000'200, std::chrono::seconds(30), std::nullopt, "api"}}) {
            auto a = validate_claims(*dom, v);
            auto b = check_registered(registered_claims(*reader), v);
            ASSERT_EQ(static_cast<bool>(a), static_cast<bool>(b));
            if (!a) {
                EXPECT_EQ(error_name(a.error()), error_name(b.error()));
            }
        }
    }
}

TEST(ManagerFastPath, AllHoldsClaimsOnlyWhenTheTokenHasCustomOnes) {
    auto store = *store::open("memory://");
    Manager m({Key::generate(Algorithm::hs256, "k")}, Config{}, store);
    auto plain = m.issue_access("alice", Freshness::fresh);
    auto custom = m.issue_access("alice", Freshness::fresh, boost::json::object{{"role", "admin"}});
    ASSERT_TRUE(plain && custom);
    auto a = m.verify(*plain, TokenType::access);
    auto b = m.verify(*custom, TokenType::access);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->all.empty());
    EXPECT_EQ(a->subject, "alice");
    EXPECT_EQ(b->all.at("role"), "admin");
    EXPECT_EQ(b->all.at("sub"), "alice");
    EXPECT_EQ(b->subject, "alice");
    EXPECT_EQ(a->fresh, Freshness::fresh);
}

}  // namespace
}  // namespace bulwark::jwt
