#include <bulwark/password.hpp>

#include "fixtures.hpp"

#include <gtest/gtest.h>

namespace bulwark::password {
namespace {

std::optional<Scheme> expected_scheme(const std::string& name) {
    if (name.starts_with("argon2id")) return Scheme::argon2id;
    if (name.starts_with("argon2i")) return Scheme::argon2i;
    if (name.starts_with("werkzeug_pbkdf2")) return Scheme::pbkdf2;
    if (name.starts_with("werkzeug3_scrypt")) return Scheme::scrypt;
    if (name.starts_with("bcrypt")) return Scheme::bcrypt;
    return std::nullopt;
}

TEST(Interop, EveryFixtureVerifiesAndRefusesAWrongPassword) {
    const auto fixtures = testing::load_fixtures();
    ASSERT_GE(fixtures.size(), 30u) << "fixtures missing: run make_fixtures.py";
    for (const auto& f : fixtures) {
        SCOPED_TRACE(f.name);
        auto ok = verify(f.password, f.stored);
        ASSERT_TRUE(ok) << error_name(ok.error());
        EXPECT_EQ(ok->scheme, expected_scheme(f.name));
        // Only python3-argon2's hashes with exactly Bulwark's parameters are current.
        EXPECT_EQ(ok->needs_rehash, !f.name.starts_with("argon2id_m19456_t2_p1"));
        auto wrong = verify(f.password + "x", f.stored);
        ASSERT_FALSE(wrong);
        EXPECT_EQ(wrong.error(), Error::mismatch);
    }
}

TEST(Hash, RoundTripIsCurrentArgon2id) {
    const std::string pw = "a long and unremarkable passphrase";
    auto stored = hash(pw);
    ASSERT_TRUE(stored) << error_name(stored.error());
    EXPECT_TRUE(stored->starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << *stored;
    auto ok = verify(pw, *stored);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->scheme, Scheme::argon2id);
    EXPECT_FALSE(ok->needs_rehash);
    EXPECT_FALSE(needs_rehash(*stored));
    auto again = hash(pw);
    ASSERT_TRUE(again);
    EXPECT_NE(*again, *stored) << "each hash has a fresh salt";
    EXPECT_EQ(verify("A long and unremarkable passphrase", *stored).error(), Error::mismatch);
}

TEST(Hash, RefusesBadPasswordsBeforeHashing) {
    const struct {
        const char* name;
        std::string password;
        Error want;
    } cases[] = {
        {"too_long", std::string(kMaxPasswordBytes + 1, 'a'), Error::password_too_long},
        {"invalid_utf8", "abc\xff", Error::invalid_password},
        {"overlong_slash", "\xc0\xaf", Error::invalid_password},
        {"surrogate", "\xed\xa0\x80", Error::invalid_password},
        {"truncated_sequence", "\xe2\x98", Error::invalid_password},
        {"nul", std::string("ab\0cd", 5), Error::invalid_password},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto h = hash(c.password);
        ASSERT_FALSE(h);
        EXPECT_EQ(h.error(), c.want);
        auto v = verify(c.password, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA");
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error(), c.want);
    }
    EXPECT_TRUE(hash(std::string(kMaxPasswordBytes, 'a')));
}

TEST(Hasher, RefusesWeakOrExcessiveParameters) {
    EXPECT_THROW(Hasher(Params{.memory_kib = 4096, .iterations = 10}), std::invalid_argument);
    EXPECT_THROW(Hasher(Params{.memory_kib = 19 * 1024, .iterations = 1}), std::invalid_argument);
    EXPECT_THROW(Hasher(Params{.memory_kib = 2 * 1024 * 1024, .iterations = 2}), std::invalid_argument);
    EXPECT_NO_THROW(Hasher(Params{.memory_kib = 12 * 1024, .iterations = 4}));
}

TEST(Hasher, CustomParamsAndRehash) {
    Hasher stronger{Params{.memory_kib = 24 * 1024, .iterations = 3}};
    auto h = stronger.hash("whatever passphrase");
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->starts_with("$argon2id$v=19$m=24576,t=3,p=1$"));
    EXPECT_FALSE(stronger.needs_rehash(*h));
    EXPECT_TRUE(needs_rehash(*h)) << "the default hasher uses other parameters";
}

TEST(NeedsRehash, AnythingButCurrentArgon2id) {
    const struct {
        const char* name;
        const char* stored;
        bool want;
    } cases[] = {
        {"current", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", false},
        {"other_memory", "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", true},
        {"other_time", "$argon2id$v=19$m=19456,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", true},
        {"parallel", "$argon2id$v=19$m=19456,t=2,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", true},
        {"argon2i", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", true},
        {"pbkdf2", "pbkdf2:sha256:600000$salt$00", true},
        {"bcrypt", "$2b$12$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", true},
        {"garbage", "not a hash", true},
        {"empty", "", true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(needs_rehash(c.stored), c.want);
    }
}

TEST(VerifyAndRehash, LegacyHashIsUpgradedOnSuccessfulLogin) {
    for (const auto& f : testing::load_fixtures()) {
        if (f.name != "werkzeug_pbkdf2_sha256_1000_ascii" && f.name != "bcrypt_2b_unicode") continue;
        SCOPED_TRACE(f.name);
        auto r = verify_and_rehash(f.password, f.stored);
        ASSERT_TRUE(r) << error_name(r.error());
        ASSERT_TRUE(r->new_hash.has_value());
        EXPECT_FALSE(needs_rehash(*r->new_hash));
        EXPECT_TRUE(verify(f.password, *r->new_hash));
        // A wrong password yields no new hash at all.
        auto bad = verify_and_rehash("wrong", f.stored);
        ASSERT_FALSE(bad);
        EXPECT_EQ(bad.error(), Error::mismatch);
    }
    auto current = hash("already current one");
    ASSERT_TRUE(current);
    auto r = verify_and_rehash("already current one", *current);
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->new_hash.has_value());
}

TEST(Bcrypt, PasswordsOver72BytesAreRefusedNotTruncated) {
    // Openwall's vector: bcrypt ignores everything after byte 72 of this password.
    const std::string long_pw =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored";
    const std::string stored = "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui";
    auto r = verify(long_pw, stored);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Error::bcrypt_password_too_long);
    // Its first 72 bytes are the real password and do verify: the vector is genuine.
    auto first72 = verify(long_pw.substr(0, 72), stored);
    EXPECT_TRUE(first72) << error_name(first72.error());
}

}  // namespace
}  // namespace bulwark::password
