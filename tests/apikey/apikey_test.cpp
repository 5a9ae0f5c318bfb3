// API keys: format and checksum tables, creation shown once and stored hashed, the
// authentication attack table, expiry, revocation, scopes, last-used bookkeeping.
#include "../src/apikey/format.hpp"

#include <bulwark/apikey.hpp>

#include <gtest/gtest.h>

namespace bulwark::apikey {
namespace {

std::int64_t g_now = 1'700'000'000;

struct Env {
    std::shared_ptr<MemoryRepository> repo = std::make_shared<MemoryRepository>();
    crypto::SecretBytes hash_key{crypto::random_bytes(32)};
    Registry registry;
    Env() : registry(repo, {hash_key}) { registry.set_clock_for_testing([] { return g_now; }); }
};

std::string with_checksum(std::string body) { return body + checksum(body); }

TEST(Format, Crc32KnownAnswer) {
    EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32/IEEE check value
    EXPECT_EQ(crc32(""), 0u);
}

TEST(Format, CreatedKeysHaveTheDocumentedShape) {
    Env env;
    auto created = env.registry.create({"ci", "alice", {"data:read"}, std::nullopt});
    ASSERT_TRUE(created);
    const std::string& key = created->key;
    EXPECT_EQ(key.size(), kKeyLength);
    EXPECT_EQ(key.substr(0, 3), "bk_");
    EXPECT_EQ(key.substr(3, kIdLength), created->record.id);
    EXPECT_TRUE(parse_key(key));
    // Only the HMAC is kept: no field of the record contains the secret part.
    std::string secret = key.substr(4 + kIdLength, kSecretLength);
    auto stored = *env.repo->find(created->record.id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->secret_hash, crypto::hmac_sha256(env.hash_key.reveal(), crypto::as_bytes(key)));
    for (const std::string& field : {stored->id, stored->name, stored->owner})
        EXPECT_EQ(field.find(secret), std::string::npos);
}

TEST(Format, ParseTable) {
    const std::string good = with_checksum("bk_AAAAAAAAAAAA_" + std::string(32, 'z'));
    std::string bad_sum = good;
    bad_sum.back() = bad_sum.back() == '0' ? '1' : '0';
    std::string typo = good;
    typo[20] = 'y';
    struct Case {
        const char* name;
        std::string value;
        std::optional<ApiKeyError> error;
    };
    const std::vector<Case> cases = {
        {"valid", good, std::nullopt},
        {"empty", "", ApiKeyError::missing},
        {"wrong_prefix", "gh" + good.substr(2), ApiKeyError::malformed},
        {"upper_prefix", "BK" + good.substr(2), ApiKeyError::malformed},
        {"short", good.substr(1), ApiKeyError::malformed},
        {"long", good + "a", ApiKeyError::malformed},
        {"no_separator", "bk_AAAAAAAAAAAAA" + good.substr(16), ApiKeyError::malformed},
        {"dash_in_secret", good.substr(0, 20) + "-" + good.substr(21), ApiKeyError::malformed},
        {"space", " " + good.substr(1), ApiKeyError::malformed},
        {"nul_byte", good.substr(0, 20) + std::string(1, '\0') + good.substr(21), ApiKeyError::malformed},
        {"bearer_prefix", "Bearer " + good, ApiKeyError::malformed},
        {"bad_checksum", bad_sum, ApiKeyError::bad_checksum},
        {"typo_in_secret", typo, ApiKeyError::bad_checksum},
    };
    for (const Case& c : cases) {
        auto r = parse_key(c.value);
        if (c.error) {
            ASSERT_FALSE(r) << c.name;
            EXPECT_EQ(r.error(), *c.error) << c.name;
        } else {
            ASSERT_TRUE(r) << c.name;
            EXPECT_EQ(r->id, "AAAAAAAAAAAA");
        }
    }
}

TEST(Registry, AuthenticateAttackTable) {
    Env env;
    auto created = env.registry.create({"ci", "alice", {"data:read"}, std::chrono::seconds(3600)});
    ASSERT_TRUE(created);
    const std::string key = created->key;
    const std::string id = created->record.id;
    // Same id, another well-formed secret with a valid checksum: passes parsing, fails the hash.
    std::string forged = with_checksum("bk_" + id + "_" + std::string(32, 'Q'));
    std::string unknown = with_checksum("bk_ZZZZZZZZZZZZ_" + key.substr(16, 32));
    struct Case {
        const char* name;
        std::string value;
        ApiKeyError error;
    };
    const std::vector<Case> cases = {
        {"missing", "", ApiKeyError::missing},
        {"garbage", "letmein", ApiKeyError::malformed},
        {"forged_secret", forged, ApiKeyError::bad_secret},
        {"unknown_id", unknown, ApiKeyError::unknown},
        {"key_with_whitespace", key + " ", ApiKeyError::malformed},
    };
    for (const Case& c : cases) {
        auto r = env.registry.authenticate(c.value);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error(), c.error) << c.name;
        EXPECT_EQ(error_message(r.error()), "Invalid API key") << c.name;
    }
    auto ok = env.registry.authenticate(key);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->key_id, id);
    EXPECT_EQ(ok->owner, "alice");
}

TEST(Registry, ExpiryRevocationScopes) {
    Env env;
    auto created = env.registry.create({"ci", "alice", {"data:read"}, std::chrono::seconds(60)});
    ASSERT_TRUE(created);
    EXPECT_TRUE(env.registry.authenticate_scoped(created->key, "data:read"));
    EXPECT_EQ(env.registry.authenticate_scoped(created->key, "data:write").error(), ApiKeyError::insufficient_scope);
    g_now += 60;
    EXPECT_EQ(env.registry.authenticate(created->key).error(), ApiKeyError::expired);
    g_now -= 60;
    ASSERT_TRUE(env.registry.revoke(created->record.id));
    EXPECT_EQ(env.registry.authenticate(created->key).error(), ApiKeyError::revoked);
    EXPECT_EQ(env.registry.revoke("nosuchkey000").error(), ApiKeyError::unknown);
}

TEST(Registry, LastUsedIsWrittenAtMostOncePerResolution) {
    Env env;
    auto created = env.registry.create({"ci", "bob", {}, std::nullopt});
    ASSERT_TRUE(created);
    EXPECT_FALSE((*env.repo->find(created->record.id))->last_used_at);
    ASSERT_TRUE(env.registry.authenticate(created->key));
    EXPECT_EQ((*env.repo->find(created->record.id))->last_used_at, g_now);
    g_now += 30;
    ASSERT_TRUE(env.registry.authenticate(created->key));
    EXPECT_EQ((*env.repo->find(created->record.id))->last_used_at, g_now - 30);
    g_now += 30;
    ASSERT_TRUE(env.registry.authenticate(created->key));
    EXPECT_EQ((*env.repo->find(created->record.id))->last_used_at, g_now);
}

TEST(Registry, HashKeyRotationKeepsOldKeysWorking) {
    auto repo = std::make_shared<MemoryRepository>();
    crypto::SecretBytes old_key{crypto::random_bytes(32)};
    Registry before(repo, {old_key});
    auto created = before.create({"ci", "carol", {}, std::nullopt});
    ASSERT_TRUE(created);
    Registry after(repo, {crypto::SecretBytes(crypto::random_bytes(32)), old_key});
    EXPECT_TRUE(after.authenticate(created->key));
    Registry forgot(repo, {crypto::SecretBytes(crypto::random_bytes(32))});
    EXPECT_EQ(forgot.authenticate(created->key).error(), ApiKeyError::bad_secret);
}

TEST(Registry, CreateValidatesAndLists) {
    Env env;
    struct Case {
        const char* name;
        CreateOptions options;
    };
    const std::vector<Case> bad = {
        {"empty_name", {"", "alice", {}, std::nullopt}},
        {"newline_name", {"a\nb", "alice", {}, std::nullopt}},
        {"empty_owner", {"ci", "", {}, std::nullopt}},
        {"bad_scope", {"ci", "alice", {"Data Read"}, std::nullopt}},
        {"zero_ttl", {"ci", "alice", {}, std::chrono::seconds(0)}},
    };
    for (const Case& c : bad) EXPECT_EQ(env.registry.create(c.options).error(), ApiKeyError::invalid_request) << c.name;
    ASSERT_TRUE(env.registry.create({"a", "alice", {}, std::nullopt}));
    ASSERT_TRUE(env.registry.create({"b", "alice", {}, std::nullopt}));
    ASSERT_TRUE(env.registry.create({"c", "bob", {}, std::nullopt}));
    EXPECT_EQ(env.registry.list("alice")->size(), 2u);
    EXPECT_EQ(env.registry.list()->size(), 3u);
    EXPECT_THROW(Registry(env.repo, {crypto::SecretBytes(std::string_view("short"))}), std::invalid_argument);
    EXPECT_THROW(Registry(nullptr, {env.hash_key}), std::invalid_argument);
}

}  // namespace
}  // namespace bulwark::apikey
