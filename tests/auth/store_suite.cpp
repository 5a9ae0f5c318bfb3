// Store-backed auth rules on every backend: remember-me, login throttles, TOTP replay,
// recovery codes, and the two-step login through a real session Manager.
#include "store_fixture.hpp"

#include <bulwark/auth.hpp>

namespace bulwark::auth {
namespace {

using namespace std::chrono_literals;
using testing_stores::test_keys;

class AuthStore : public testing_stores::StoreTest {
protected:
    RememberOptions remember_options() {
        RememberOptions o;
        o.now = clock_.fn();
        return o;
    }
};

TEST_P(AuthStore, RememberTokenRotatesOnEachUse) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto first = rm.issue("42");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->name, "remember");
    EXPECT_EQ(first->max_age, std::chrono::seconds{30 * 24h});
    EXPECT_TRUE(first->http_only);
    auto used = rm.consume(first->value);
    ASSERT_TRUE(used);
    EXPECT_EQ(used->user_id, "42");
    EXPECT_NE(used->cookie.value, first->value);
    EXPECT_EQ(used->cookie.value.substr(0, 16), first->value.substr(0, 16)) << "same selector, new validator";
    auto again = rm.consume(used->cookie.value);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->user_id, "42");
}

TEST_P(AuthStore, RememberStoreHoldsNoValidator) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto c = rm.issue("42");
    ASSERT_TRUE(c);
    const std::string selector = c->value.substr(0, 16), validator = c->value.substr(17);
    auto record = store_->get("rm|s|" + selector);
    ASSERT_TRUE(record && *record);
    EXPECT_EQ((*record)->find(validator), std::string::npos);
}

TEST_P(AuthStore, ReusedOldValidatorRevokesEveryTokenOfTheUser) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto stolen = rm.issue("42");
    auto other_device = rm.issue("42");
    auto bob = rm.issue("bob");
    ASSERT_TRUE(stolen && other_device && bob);
    auto attacker = rm.consume(stolen->value);  // the thief uses the copy first
    ASSERT_TRUE(attacker);
    clock_.advance(1h);
    auto victim = rm.consume(stolen->value);  // the victim comes back with the old validator
    ASSERT_FALSE(victim);
    EXPECT_EQ(victim.error().code, RememberError::theft_detected);
    EXPECT_EQ(victim.error().user_id, "42");
    EXPECT_FALSE(rm.consume(attacker->cookie.value)) << "the thief's rotated token is revoked too";
    EXPECT_FALSE(rm.consume(other_device->value)) << "every token of the user is revoked";
    EXPECT_TRUE(rm.consume(bob->value)) << "another user's token is untouched";
}

TEST_P(AuthStore, RacingTabsWithinTheGraceAreNotTheft) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto c = rm.issue("42");
    ASSERT_TRUE(c);
    auto first = rm.consume(c->value);
    ASSERT_TRUE(first);
    clock_.advance(2s);
    auto second = rm.consume(c->value);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, RememberError::superseded);
    EXPECT_TRUE(rm.consume(first->cookie.value)) << "the user keeps the rotated token";
}

TEST_P(AuthStore, WrongValidatorForKnownSelectorIsTheft) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto c = rm.issue("42");
    ASSERT_TRUE(c);
    const std::string forged = c->value.substr(0, 17) + crypto::random_token(32);
    auto r = rm.consume(forged);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, RememberError::theft_detected);
    EXPECT_FALSE(rm.consume(c->value));
}

TEST_P(AuthStore, RememberMalformedUnknownExpiredAndRevoked) {
    RememberMe rm(store_, test_keys(), remember_options());
    for (std::string bad : {std::string(""), std::string("x"), std::string(60, 'A'),
                            crypto::random_token(12) + ":" + crypto::random_token(32),
                            crypto::random_token(12) + "." + crypto::random_token(31)}) {
        auto r = rm.consume(bad);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, RememberError::malformed) << bad;
    }
    auto unknown = rm.consume(crypto::random_token(12) + "." + crypto::random_token(32));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, RememberError::unknown);

    auto c = rm.issue("42");
    ASSERT_TRUE(c);
    clock_.advance(31 * 24h);
    auto expired = rm.consume(c->value);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, RememberError::expired);

    auto d = rm.issue("42");
    ASSERT_TRUE(d);
    ASSERT_TRUE(rm.revoke(d->value));
    auto revoked = rm.consume(d->value);
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().code, RememberError::unknown);
    EXPECT_EQ(rm.deleting_cookie().max_age, std::chrono::seconds{0});
}

TEST_P(AuthStore, RevokeAllOnPasswordChange) {
    RememberMe rm(store_, test_keys(), remember_options());
    auto a = rm.issue("42"), b = rm.issue("42");
    ASSERT_TRUE(a && b);
    auto n = rm.revoke_all("42");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2u);
    EXPECT_FALSE(rm.consume(a->value));
    EXPECT_FALSE(rm.consume(b->value));
}

TEST_P(AuthStore, ThrottlePerAddress) {
    ratelimit::Limiter limiter(store_);
    LoginThrottle throttle(store_, limiter);
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(throttle.check("198.51.100.1", "user" + std::to_string(i)).allowed) << i;
    ThrottleDecision d = throttle.check("198.51.100.1", "someone");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.which, Throttled::address);
    EXPECT_GE(d.retry_after, 1s);
    EXPECT_LE(d.retry_after, 60s);
    EXPECT_TRUE(d.first_exceeded);
    EXPECT_FALSE(throttle.check("198.51.100.1", "someone").first_exceeded);
    EXPECT_TRUE(throttle.check("198.51.100.2", "someone").allowed) << "another address is free";
}

TEST_P(AuthStore, ThrottlePerAccountAcrossAddresses) {
    ratelimit::Limiter limiter(store_);
    LoginThrottle throttle(store_, limiter);
    for (int i = 1; i <= 10; ++i) {
        const std::string address = "203.0.113." + std::to_string(i);  // a distributed attack
        ASSERT_TRUE(throttle.check(address, "Alice").allowed) << i;
        auto f = throttle.record_failure(address, i % 2 ? "alice" : "ALICE");
        ASSERT_TRUE(f);
        EXPECT_EQ(f->count, i);
        EXPECT_EQ(f->reached_max, i == 10);
        EXPECT_EQ(f->locked, i >= 10);
    }
    ThrottleDecision d = throttle.check("192.0.2.99", "alice");
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.which, Throttled::account);
    EXPECT_GT(d.retry_after, 14min);
    EXPECT_LE(d.retry_after, 15min);
    EXPECT_TRUE(throttle.check("192.0.2.99", "bob").allowed);
}

TEST_P(AuthStore, UnknownAndKnownAccountsAreCountedAlike) {
    ratelimit::Limiter limiter(store_);
    LoginThrottle throttle(store_, limiter, {.per_address = "100 per minute", .account_max_failures = 3});
    for (const char* user : {"existing", "no-such-user"}) {
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(throttle.record_failure("192.0.2.1", user));
        EXPECT_FALSE(throttle.check("192.0.2.1", user).allowed) << user;
    }
}

TEST_P(AuthStore, SuccessClearsTheAccountCounter) {
    ratelimit::Limiter limiter(store_);
    LoginThrottle throttle(store_, limiter, {.per_address = "100 per minute", .account_max_failures = 3});
    ASSERT_TRUE(throttle.record_failure("192.0.2.1", "alice"));
    ASSERT_TRUE(throttle.record_failure("192.0.2.1", "alice"));
    ASSERT_TRUE(throttle.record_success("alice"));
    auto f = throttle.record_failure("192.0.2.1", "alice");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->count, 1);
}

TEST_P(AuthStore, TotpCodeIsAcceptedOnce) {
    TotpVerifier verifier(store_);
    const crypto::Bytes secret = new_totp_secret();
    const TimePoint now = clock_.now;
    const std::string code = totp_code(secret, {}, now);
    EXPECT_EQ(verifier.verify("42", secret, code, {}, now), TotpResult::ok);
    EXPECT_EQ(verifier.verify("42", secret, code, {}, now), TotpResult::replayed);
    EXPECT_EQ(verifier.verify("42", secret, code, {}, now + 20s), TotpResult::replayed);
    const std::string older = totp_code(secret, {}, now - 30s);
    EXPECT_EQ(verifier.verify("42", secret, older, {}, now), TotpResult::replayed)
        << "a step before the last accepted one is refused too";
    EXPECT_EQ(verifier.verify("42", secret, "000000", {}, now + 30s) == TotpResult::ok,
              totp_code(secret, {}, now + 30s) == "000000");
    const std::string next = totp_code(secret, {}, now + 30s);
    EXPECT_EQ(verifier.verify("42", secret, next, {}, now + 30s), TotpResult::ok);
    EXPECT_EQ(verifier.verify("43", secret, totp_code(secret, {}, now + 60s), {}, now + 60s), TotpResult::ok)
        << "replay state is per user";
    EXPECT_EQ(verifier.verify("42", secret, "12345", {}, now), TotpResult::wrong);
}

TEST_P(AuthStore, RecoveryCodesAreSingleUse) {
    RecoveryCodes codes(store_);
    auto issued = codes.generate("42");
    ASSERT_TRUE(issued);
    ASSERT_EQ(issued->size(), 10u);
    EXPECT_EQ((*issued)[0].size(), 19u);
    auto raw = store_->get("totp|rc|" + crypto::hex_encode(crypto::ByteView(crypto::sha256(crypto::as_bytes("42")).data(), 16)));
    ASSERT_TRUE(raw && *raw);
    for (const auto& c : *issued) {
        std::string plain = c;
        std::erase(plain, '-');
        EXPECT_EQ((*raw)->find(plain), std::string::npos) << "codes are stored hashed";
    }
    std::string lower = (*issued)[3];
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto first = codes.use("42", lower);
    ASSERT_TRUE(first);
    EXPECT_TRUE(*first);
    auto again = codes.use("42", (*issued)[3]);
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
    auto other_user = codes.use("43", (*issued)[4]);
    ASSERT_TRUE(other_user);
    EXPECT_FALSE(*other_user);
    auto left = codes.remaining("42");
    ASSERT_TRUE(left);
    EXPECT_EQ(*left, 9u);
    auto regenerated = codes.generate("42");
    ASSERT_TRUE(regenerated);
    auto old = codes.use("42", (*issued)[5]);
    ASSERT_TRUE(old);
    EXPECT_FALSE(*old) << "regenerating replaces the old codes";
}

TEST_P(AuthStore, TwoStepLoginThroughTheSessionManager) {
    session::Options so;
    so.now = clock_.fn();
    session::Manager m(store_, test_keys(), so);
    session::Session s = m.load("");
    begin_second_factor(s, "42", Remember::no, 5min, clock_.now);
    auto c1 = m.save(s);
    ASSERT_TRUE(c1 && *c1);
    // The user skips the code page and opens /account directly.
    session::Session skipped = m.load((**c1).value);
    EXPECT_EQ(current_user_id(skipped), "");
    EXPECT_FALSE(login_required(RequestKind::html, "/account", !current_user_id(skipped).empty()).allowed());
    // Then completes the second factor: a new id, logged in.
    session::Session second = m.load((**c1).value);
    ASSERT_TRUE(complete_second_factor(second, 0, clock_.now));
    auto c2 = m.save(second);
    ASSERT_TRUE(c2 && *c2);
    EXPECT_NE((**c2).value, (**c1).value);
    EXPECT_EQ(m.load((**c1).value).state(), session::LoadState::unknown);
    EXPECT_EQ(current_user_id(m.load((**c2).value)), "42");
    // Log out: the record is gone on the server.
    session::Session out = m.load((**c2).value);
    logout_user(out);
    auto c3 = m.save(out);
    ASSERT_TRUE(c3 && *c3);
    EXPECT_EQ((**c3).max_age, std::chrono::seconds{0});
    EXPECT_EQ(m.load((**c2).value).state(), session::LoadState::unknown);
}

BULWARK_STORE_SUITE(AuthStore);

}  // namespace
}  // namespace bulwark::auth
