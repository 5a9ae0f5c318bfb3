#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

#include <set>

namespace bulwark::crypto {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::time_point{std::chrono::seconds{1700000000}};

SecretBytes key_of(char c) { return SecretBytes{std::string(32, c)}; }
Signer signer_with(char current, std::vector<char> fallbacks = {}) {
    std::vector<SecretBytes> old;
    for (char c : fallbacks) old.push_back(key_of(c));
    return Signer{KeyRing{key_of(current), std::move(old)}};
}

TEST(KeyRing, SubkeyKnownAnswer) {
    // HMAC-SHA256(32 * "k", "bulwark/session"), computed with Python's hmac module.
    KeyRing ring{key_of('k')};
    EXPECT_EQ(hex_encode(ring.subkey(Purpose::session).reveal()),
              "d90a8104b9b4fe8da554508c8858420c67eeff631740b5449ceb9565eebbe920");
}

TEST(KeyRing, OneSubkeyPerPurposeAndGenerationCurrentFirst) {
    KeyRing ring{key_of('a'), [] {
                     std::vector<SecretBytes> v;
                     v.push_back(key_of('b'));
                     v.push_back(key_of('c'));
                     return v;
                 }()};
    std::set<std::string> seen;
    for (Purpose p : {Purpose::session, Purpose::csrf, Purpose::jwt, Purpose::remember_me,
                      Purpose::api_key, Purpose::signed_value, Purpose::account_token,
                      Purpose::webhook}) {
        auto keys = ring.subkeys(p);
        ASSERT_EQ(keys.size(), 3u);
        EXPECT_TRUE(equal(keys[0].reveal(), ring.subkey(p).reveal()));
        EXPECT_TRUE(equal(keys[1].reveal(), KeyRing{key_of('b')}.subkey(p).reveal()));
        for (const auto& k : keys) seen.insert(hex_encode(k.reveal()));
    }
    EXPECT_EQ(seen.size(), 24u) << "every (key, purpose) pair must give a distinct subkey";
}

TEST(KeyRing, EmptyKeyRefusedAtStart) {
    EXPECT_THROW(KeyRing{SecretBytes{}}, std::invalid_argument);
    std::vector<SecretBytes> bad;
    bad.emplace_back();
    EXPECT_THROW((KeyRing{key_of('a'), std::move(bad)}), std::invalid_argument);
}

TEST(Names, PurposesAndErrorsAreNamedDistinctly) {
    std::set<std::string_view> names;
    for (Purpose p : {Purpose::session, Purpose::csrf, Purpose::jwt, Purpose::remember_me,
                      Purpose::api_key, Purpose::signed_value, Purpose::account_token,
                      Purpose::webhook})
        names.insert(purpose_name(p));
    EXPECT_EQ(names.size(), 8u);
    EXPECT_EQ(unsign_error_name(UnsignError::malformed), "malformed");
    EXPECT_EQ(unsign_error_name(UnsignError::bad_signature), "bad_signature");
    EXPECT_EQ(unsign_error_name(UnsignError::wrong_purpose), "wrong_purpose");
    EXPECT_EQ(unsign_error_name(UnsignError::expired), "expired");
}

TEST(Signer, KnownAnswer) {
    // Computed independently in Python from the format documented in crypto.hpp.
    const char* expected = "dXNlcjo0Mg.ZVPxAA.e-k8nIqPW1NbZENYW2XgRlT-WIoYfoZ3ZrfccJ_odqQ";
    auto s = signer_with('k');
    EXPECT_EQ(s.sign_at("user:42", Purpose::signed_value, kT0), expected);
    auto back = s.unsign_at(expected, Purpose::signed_value, 10s, kT0);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, "user:42");
}

TEST(Signer, RoundTripsAnyValue) {
    const struct {
        const char* name;
        std::string value;
    } cases[] = {
        {"empty", ""},
        {"dots", "a.b.c..."},
        {"binary", std::string("\0\xff\x01.\n", 5)},
        {"utf8", "gr\xc3\xbc\xc3\x9f"},
        {"large", std::string(12000, 'x')},
    };
    auto s = signer_with('a');
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto token = s.sign_at(c.value, Purpose::session, kT0);
        EXPECT_LE(token.size(), Signer::kMaxSignedValue);
        EXPECT_EQ(token.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
                  std::string::npos);
        auto back = s.unsign_at(token, Purpose::session, 60s, kT0 + 5s);
        ASSERT_TRUE(back) << unsign_error_name(back.error());
        EXPECT_EQ(*back, c.value);
    }
    // The real clock path too.
    auto now = s.unsign(s.sign("v", Purpose::csrf), Purpose::csrf, 60s);
    ASSERT_TRUE(now);
    EXPECT_EQ(*now, "v");
}

TEST(Signer, KeyRotation) {
    const auto old_token = signer_with('o').sign_at("alice", Purpose::session, kT0);
    const struct {
        const char* name;
        Signer verifier;
        std::optional<UnsignError> want;  // nullopt = accepted
    } cases[] = {
        {"same_key", signer_with('o'), std::nullopt},
        {"fallback_is_old_key", signer_with('n', {'o'}), std::nullopt},
        {"old_key_second_fallback", signer_with('n', {'m', 'o'}), std::nullopt},
        {"old_key_dropped", signer_with('n', {'m'}), UnsignError::bad_signature},
        {"new_key_only", signer_with('n'), UnsignError::bad_signature},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = c.verifier.unsign_at(old_token, Purpose::session, 60s, kT0);
        if (!c.want) {
            ASSERT_TRUE(r) << unsign_error_name(r.error());
            EXPECT_EQ(*r, "alice");
        } else {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), *c.want);
        }
    }
    // New signatures use the current key: the old key alone does not verify them.
    const auto new_token = signer_with('n', {'o'}).sign_at("bob", Purpose::session, kT0);
    EXPECT_TRUE(signer_with('n').unsign_at(new_token, Purpose::session, 60s, kT0));
    EXPECT_FALSE(signer_with('o').unsign_at(new_token, Purpose::session, 60s, kT0));
}

TEST(Signer, WrongPurposeIsDistinguishedFromBadSignature) {
    auto s = signer_with('a', {'b'});
    const auto csrf_token = s.sign_at("x", Purpose::csrf, kT0);
    auto r = s.unsign_at(csrf_token, Purpose::session, 60s, kT0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), UnsignError::wrong_purpose);
    // Signed for another purpose with a fallback key: still wrong_purpose.
    const auto old_csrf = signer_with('b').sign_at("x", Purpose::csrf, kT0);
    auto r2 = s.unsign_at(old_csrf, Purpose::session, 60s, kT0);
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error(), UnsignError::wrong_purpose);
    // Another purpose and an unknown key: just a bad signature.
    const auto foreign = signer_with('z').sign_at("x", Purpose::csrf, kT0);
    auto r3 = s.unsign_at(foreign, Purpose::session, 60s, kT0);
    ASSERT_FALSE(r3);
    EXPECT_EQ(r3.error(), UnsignError::bad_signature);
}

TEST(Signer, Expiry) {
    auto s = signer_with('a');
    const auto token = s.sign_at("v", Purpose::signed_value, kT0);
    const struct {
        const char* name;
        Clock::time_point now;
        std::chrono::seconds max_age;
        bool ok;
    } cases[] = {
        {"fresh", kT0, 60s, true},
        {"exactly_max_age", kT0 + 60s, 60s, true},
        {"one_second_late", kT0 + 61s, 60s, false},
        {"zero_max_age_same_second", kT0, 0s, true},
        {"negative_max_age", kT0, -1s, false},
        {"future_within_leeway", kT0 - 60s, 60s, true},
        {"future_beyond_leeway", kT0 - 61s, 3600s, false},
        {"now_before_epoch", Clock::time_point{} - 10s, 60s, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = s.unsign_at(token, Purpose::signed_value, c.max_age, c.now);
        EXPECT_EQ(r.ok(), c.ok);
        if (!r.ok()) {
            EXPECT_EQ(r.error(), UnsignError::expired);
        }
    }
}

TEST(Signer, TamperingIsABadSignature) {
    auto s = signer_with('a');
    const std::string token = s.sign_at("role=user", Purpose::session, kT0);
    const auto dot1 = token.find('.');
    const auto dot2 = token.rfind('.');
    const std::string value_part = token.substr(0, dot1);
    const std::string ts_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string mac_part = token.substr(dot2 + 1);
    const std::string other = s.sign_at("x", Purpose::session, kT0);
    std::string flipped_mac = mac_part;
    flipped_mac[0] = flipped_mac[0] == 'A' ? 'B' : 'A';
    const struct {
        const char* name;
        std::string text;
    } cases[] = {
        {"other_value", base64url_encode(as_bytes("role=admin")) + "." + ts_part + "." + mac_part},
        {"other_timestamp", value_part + "." + base64url_encode(as_bytes("\x7f\xff\xff\xff")) +
                                "." + mac_part},
        {"flipped_mac", value_part + "." + ts_part + "." + flipped_mac},
        {"mac_of_other_token", value_part + "." + ts_part + "." +
                                   other.substr(other.rfind('.') + 1)},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = s.unsign_at(c.text, Purpose::session, 1000000000s, kT0);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), UnsignError::bad_signature);
    }
}

TEST(Signer, MalformedInputs) {
    auto s = signer_with('a');
    const std::string good = s.sign_at("v", Purpose::session, kT0);
    const std::string mac = good.substr(good.rfind('.') + 1);
    const struct {
        const char* name;
        std::string text;
    } cases[] = {
        {"empty", ""},
        {"no_dots", "abc"},
        {"one_dot", "abc." + mac},
        {"only_dots", ".."},
        {"empty_timestamp", "dg.." + mac},
        {"empty_mac", "dg.ZVPxAA."},
        {"short_mac", "dg.ZVPxAA.AAAA"},
        {"long_mac", "dg.ZVPxAA." + mac + "AAAA"},
        {"padded_mac", "dg.ZVPxAA." + mac + "="},
        {"non_minimal_timestamp", "dg.AGVT8QA." + mac},
        {"nine_byte_timestamp", "dg.AQAAAAAAAAAAAA." + mac},
        {"bad_value_alphabet", "d+g.ZVPxAA." + mac},
        {"extra_dot_in_value", "d.g.ZVPxAA." + mac},
        {"whitespace", " " + good},
        {"nul_inside", std::string("dg\0.ZVPxAA.", 11) + mac},
        {"too_long", std::string(Signer::kMaxSignedValue + 1, 'A')},
        {"too_long_but_shaped", std::string(Signer::kMaxSignedValue, 'A') + "." + "ZVPxAA." + mac},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = s.unsign_at(c.text, Purpose::session, 60s, kT0);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), UnsignError::malformed);
    }
}

}  // namespace
}  // namespace bulwark::crypto
