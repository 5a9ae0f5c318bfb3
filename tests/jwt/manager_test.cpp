// Manager: issue/verify round trips for every algorithm, types, freshness, revocation,
// refresh rotation with reuse detection, cookie CSRF, configuration refusals, rotation.
#include "fake_store.hpp"

#include <bulwark/jwt.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace bulwark::jwt {
namespace {

std::int64_t g_now = 1'700'000'000;

std::shared_ptr<store::Store> memory_store() {
    auto s = store::open("memory://");
    if (!s) throw std::runtime_error("memory store");
    return *s;
}

struct Env {
    std::shared_ptr<store::Store> store = memory_store();
    Manager manager;
    explicit Env(std::vector<Key> keys, Config config = {})
        : manager(std::move(keys), std::move(config), store) {
        manager.set_clock_for_testing([] { return g_now; });
    }
};

Key hs_key(std::string kid = "k1") {
    return Key::hmac(Algorithm::hs256, crypto::SecretBytes(crypto::random_bytes(32)), std::move(kid));
}

TEST(Manager, RoundTripForEveryAlgorithm) {
    for (Algorithm alg : {Algorithm::hs256, Algorithm::hs384, Algorithm::hs512, Algorithm::rs256,
                          Algorithm::ps256, Algorithm::es256, Algorithm::eddsa}) {
        SCOPED_TRACE(std::string(algorithm_name(alg)));
        Env env({Key::generate(alg, "a")});
        boost::json::object extra{{"role", "admin"}};
        auto token = env.manager.issue_access("alice", Freshness::fresh, extra);
        ASSERT_TRUE(token);
        auto claims = env.manager.verify(*token, TokenType::access);
        ASSERT_TRUE(claims) << error_name(claims.error());
        EXPECT_EQ(claims->subject, "alice");
        EXPECT_EQ(claims->fresh, Freshness::fresh);
        EXPECT_EQ(claims->all.at("role"), "admin");
        EXPECT_EQ(claims->expires_at - claims->issued_at, 15 * 60);
        EXPECT_EQ(crypto::base64url_decode(claims->jti)->size(), 16u);
    }
}

TEST(Manager, DefaultsAndLifetimes) {
    Env env({hs_key()});
    auto pair = env.manager.issue_pair("bob");
    ASSERT_TRUE(pair);
    auto refresh = env.manager.verify(pair->refresh_token, TokenType::refresh);
    ASSERT_TRUE(refresh);
    EXPECT_EQ(refresh->expires_at - refresh->issued_at, 30 * 24 * 3600);
    auto access = env.manager.verify(pair->access_token, TokenType::access);
    ASSERT_TRUE(access);
    EXPECT_EQ(access->family, refresh->family);
    EXPECT_NE(access->jti, refresh->jti);
    // Access expires after 15 minutes plus the leeway.
    g_now += 15 * 60 + 31;
    auto late = env.manager.verify(pair->access_token, TokenType::access);
    g_now -= 15 * 60 + 31;
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error(), JwtError::expired);
}

TEST(Manager, TypesAndFreshness) {
    Env env({hs_key()});
    auto refresh = env.manager.issue_refresh("bob");
    auto stale = env.manager.issue_access("bob", Freshness::not_fresh);
    ASSERT_TRUE(refresh && stale);
    EXPECT_EQ(env.manager.verify(*refresh, TokenType::access).error(), JwtError::wrong_token_type);
    EXPECT_EQ(env.manager.verify(*stale, TokenType::refresh).error(), JwtError::wrong_token_type);
    EXPECT_EQ(env.manager.verify_fresh(*stale).error(), JwtError::not_fresh);
    auto fresh = env.manager.issue_access("bob", Freshness::fresh);
    EXPECT_TRUE(env.manager.verify_fresh(*fresh));
}

TEST(Manager, ReservedClaimsCannotBeOverridden) {
    Env env({hs_key()});
    for (const char* name : {"sub", "type", "fresh", "exp", "jti", "fam", "csrf", "aud"}) {
        boost::json::object extra{{name, "x"}};
        auto r = env.manager.issue_access("bob", Freshness::fresh, extra);
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error(), JwtError::reserved_claim);
    }
}

TEST(Manager, RevokeLastsAsLongAsTheToken) {
    Env env({hs_key()});
    auto token = env.manager.issue_access("bob", Freshness::fresh);
    auto claims = env.manager.verify(*token, TokenType::access);
    ASSERT_TRUE(claims);
    ASSERT_TRUE(env.manager.revoke(*claims));
    EXPECT_EQ(env.manager.verify(*token, TokenType::access).error(), JwtError::revoked);
    auto left = env.store->ttl("jwt:revoked:" + claims->jti.str());
    ASSERT_TRUE(left && *left);
    EXPECT_LE(**left, std::chrono::seconds(15 * 60 + 30));
    EXPECT_GT(**left, std::chrono::seconds(15 * 60 + 28));
    // Other tokens of the same user are untouched.
    auto other = env.manager.issue_access("bob", Freshness::fresh);
    EXPECT_TRUE(env.manager.verify(*other, TokenType::access));
}

TEST(Manager, RevocationIsSeenByOtherThreadsAtOnce) {
    // Verifying threads keep per-thread caches (the last header); none may hold a verdict, so a
    // revoke on one thread is refused on every other at the next verify, with no wait.
    Env env({hs_key()});
    auto token = env.manager.issue_access("bob", Freshness::fresh);
    constexpr int kThreads = 4;
    std::atomic<int> warmed{0};
    std::atomic<bool> revoked{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            if (!env.manager.verify(*token, TokenType::access)) ++wrong;  // warms this thread's cache
            ++warmed;
            while (!revoked.load()) std::this_thread::yield();
            // revoke() returned before `revoked` was set, so every verify from here on refuses.
            for (int i = 0; i < 100; ++i) {
                auto r = env.manager.verify(*token, TokenType::access);
                if (r || r.error() != JwtError::revoked) ++wrong;
            }
        });
    }
    while (warmed.load() < kThreads) std::this_thread::yield();
    auto claims = env.manager.verify(*token, TokenType::access);
    ASSERT_TRUE(claims);
    ASSERT_TRUE(env.manager.revoke(*claims));
    revoked.store(true);
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0);
}

TEST(Manager, StoreDownFailsClosed) {
    auto fake = std::make_shared<testing::FakeStore>();
    Manager manager({hs_key()}, Config{}, fake);
    auto token = manager.issue_access("bob", Freshness::fresh);
    EXPECT_TRUE(manager.verify(*token, TokenType::access));
    fake->fail = true;
    EXPECT_EQ(manager.verify(*token, TokenType::access).error(), JwtError::store_unavailable);
}

TEST(Manager, RefreshRotatesAndReuseRevokesTheFamily) {
    Env env({hs_key()});
    auto login = env.manager.issue_pair("carol");
    ASSERT_TRUE(login);
    auto second = env.manager.refresh(login->refresh_token);
    ASSERT_TRUE(second) << error_name(second.error());
    auto a2 = env.manager.verify(second->access_token, TokenType::access);
    ASSERT_TRUE(a2);
    EXPECT_EQ(a2->fresh, Freshness::not_fresh);
    auto third = env.manager.refresh(second->refresh_token);
    ASSERT_TRUE(third);

    // A thief replays the first refresh token: detected, and the whole family dies.
    auto replay = env.manager.refresh(login->refresh_token);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error(), JwtError::refresh_reused);
    EXPECT_EQ(env.manager.verify(third->access_token, TokenType::access).error(), JwtError::revoked);
    EXPECT_EQ(env.manager.refresh(third->refresh_token).error(), JwtError::revoked);
    EXPECT_EQ(env.manager.verify(login->access_token, TokenType::access).error(), JwtError::revoked);
    // Another login of the same user is a different family and keeps working.
    auto other = env.manager.issue_pair("carol");
    EXPECT_TRUE(env.manager.refresh(other->refresh_token));
}

TEST(Manager, RefreshRefusesAccessTokens) {
    Env env({hs_key()});
    auto access = env.manager.issue_access("bob", Freshness::fresh);
    EXPECT_EQ(env.manager.refresh(*access).error(), JwtError::wrong_token_type);
}

TEST(Manager, KidRotation) {
    Key old_key = hs_key("old");
    Env before({old_key});
    auto old_token = before.manager.issue_access("dave", Freshness::fresh);
    Env after({hs_key("new"), old_key});
    after.store = before.store;
    EXPECT_TRUE(after.manager.verify(*old_token, TokenType::access));
    auto new_token = after.manager.issue_access("dave", Freshness::fresh);
    EXPECT_EQ(before.manager.verify(*new_token, TokenType::access).error(), JwtError::unknown_key);
}

TEST(Manager, JwksListsOnlyPublicKeys) {
    Key es = Key::generate(Algorithm::es256, "e1");
    Key rsa = Key::generate(Algorithm::rs256, "r1");
    Env env({es, hs_key("h"), Key::generate(Algorithm::eddsa, "d1"), rsa});
    auto doc = boost::json::parse(env.manager.jwks()).as_object();
    auto& keys = doc.at("keys").as_array();
    ASSERT_EQ(keys.size(), 3u);
    for (auto& k : keys) {
        EXPECT_FALSE(k.as_object().contains("d"));
        EXPECT_FALSE(k.as_object().contains("k"));
        EXPECT_EQ(k.at("use"), "sig");
    }
    EXPECT_EQ(keys[0].at("kty"), "EC");
    EXPECT_EQ(keys[0].at("kid"), "e1");
    // A key rebuilt from the published JWK verifies what the private key signed.
    Key pub = Key::from_jwk(Algorithm::es256, boost::json::serialize(keys[0]), "e1");
    EXPECT_FALSE(pub.can_sign());
    auto token = sign_compact(R"({"exp":1})", es);
    EXPECT_TRUE(verify_compact(*token, KeySet({pub})));
    Key rsa_pub = Key::from_jwk(Algorithm::rs256, boost::json::serialize(keys[2]), "r1");
    EXPECT_EQ(rsa_pub.public_pem(), rsa.public_pem());
}

TEST(Manager, ConfigurationRefusals) {
    auto store = memory_store();
    struct Bad {
        const char* name;
        std::function<void()> make;
    };
    const std::vector<Bad> cases = {
        {"hmac_31_bytes", [] { (void)Key::hmac(Algorithm::hs256, crypto::SecretBytes(std::string(31, 'a'))); }},
        {"hmac_alg_for_pem", [] { (void)Key::from_pem(Algorithm::hs256, "x"); }},
        {"rsa_key_for_es256", [] {
             (void)Key::from_pem(Algorithm::es256, Key::generate(Algorithm::rs256).private_pem()); }},
        {"ec_key_for_eddsa", [] {
             (void)Key::from_pem(Algorithm::eddsa, Key::generate(Algorithm::es256).private_pem()); }},
        {"garbage_pem", [] { (void)Key::from_pem(Algorithm::rs256, "-----BEGIN nothing"); }},
        {"leeway_31", [store] {
             Config c;
             c.leeway = std::chrono::seconds(31);
             Manager m({hs_key()}, c, store);
         }},
        {"no_store", [] { Manager m({hs_key()}, Config{}, nullptr); }},
        {"public_key_only", [store] {
             Manager m({Key::from_pem(Algorithm::eddsa, Key::generate(Algorithm::eddsa).public_pem())}, Config{}, store);
         }},
        {"duplicate_kid", [store] { Manager m({hs_key("a"), hs_key("a")}, Config{}, store); }},
    };
    for (const Bad& c : cases) EXPECT_THROW(c.make(), std::invalid_argument) << c.name;
}

TEST(Manager, PemRoundTrip) {
    Key k = Key::generate(Algorithm::ps256, "p");
    Key priv = Key::from_pem(Algorithm::ps256, k.private_pem(), "p");
    Key pub = Key::from_pem(Algorithm::ps256, k.public_pem(), "p");
    auto token = sign_compact(R"({"exp":1})", priv);
    EXPECT_TRUE(verify_compact(*token, KeySet({pub})));
    EXPECT_FALSE(pub.can_sign());
    EXPECT_TRUE(pub.private_pem().empty());
}

TEST(Bearer, HeaderParsing) {
    struct Case {
        const char* name;
        std::string_view value;
        std::optional<std::string_view> expected;
    };
    const std::vector<Case> cases = {
        {"plain", "Bearer abc.def.ghi", "abc.def.ghi"},
        {"lower_scheme", "bearer abc.def.ghi", "abc.def.ghi"},
        {"upper_scheme", "BEARER abc", "abc"},
        {"basic_scheme", "Basic dXNlcjpwYXNz", std::nullopt},
        {"no_token", "Bearer ", std::nullopt},
        {"no_space", "Bearerabc", std::nullopt},
        {"two_spaces", "Bearer  abc", std::nullopt},
        {"trailing_space", "Bearer abc ", std::nullopt},
        {"two_tokens", "Bearer abc def", std::nullopt},
        {"comma", "Bearer abc,Bearer def", std::nullopt},
        {"padding_end", "Bearer abc==", "abc=="},
        {"padding_middle", "Bearer ab=c", std::nullopt},
        {"control_char", "Bearer ab\x01", std::nullopt},
        {"empty", "", std::nullopt},
    };
    for (const Case& c : cases) EXPECT_EQ(bearer_from_authorization_header(c.value), c.expected) << c.name;
    std::string huge = "Bearer " + std::string(kMaxTokenSize + 1, 'a');
    EXPECT_FALSE(bearer_from_authorization_header(huge));
}

TEST(Csrf, DoubleSubmit) {
    Env env({hs_key()});
    auto claims = env.manager.verify(*env.manager.issue_access("eve", Freshness::fresh), TokenType::access);
    ASSERT_TRUE(claims);
    ASSERT_EQ(crypto::base64url_decode(claims->csrf)->size(), 16u);
    EXPECT_TRUE(check_csrf(*claims, claims->csrf));
    EXPECT_EQ(check_csrf(*claims, "").error(), JwtError::csrf_mismatch);
    EXPECT_EQ(check_csrf(*claims, claims->csrf.str() + "x").error(), JwtError::csrf_mismatch);
    Claims no_csrf = *claims;
    no_csrf.csrf.clear();
    EXPECT_EQ(check_csrf(no_csrf, "").error(), JwtError::csrf_mismatch);
}

TEST(StrictJson, Table) {
    struct Case {
        const char* name;
        std::string_view json;
        std::optional<JwtError> error;
    };
    const std::vector<Case> cases = {
        {"object", R"({"a":1})", std::nullopt},
        {"nested", R"({"a":{"b":[1,2,{"c":null}]}})", std::nullopt},
        {"escaped_key_duplicate", R"({"a":1,"\u0061":2})", JwtError::duplicate_name},
        {"same_key_in_sibling_objects", R"({"x":{"a":1},"y":{"a":1}})", std::nullopt},
        {"array_root", "[1]", JwtError::malformed},
        {"trailing_comma", R"({"a":1,})", JwtError::malformed},
        {"single_quotes", "{'a':1}", JwtError::malformed},
        {"nan", R"({"a":NaN})", JwtError::malformed},
        {"deep", std::string_view("{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}"), JwtError::malformed},
        {"two_documents", R"({}{})", JwtError::malformed},
        {"empty", "", JwtError::malformed},
        {"whitespace_ok", " { \"a\" : 1 } ", std::nullopt},
    };
    for (const Case& c : cases) {
        auto r = parse_json_object(c.json);
        if (c.error) {
            ASSERT_FALSE(r) << c.name;
            EXPECT_EQ(r.error(), *c.error) << c.name;
        } else {
            EXPECT_TRUE(r) << c.name;
        }
    }
}

}  // namespace
}  // namespace bulwark::jwt
