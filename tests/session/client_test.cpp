// Signed client-side sessions: round trip, tampering, timeouts, size, non-revocability.
#include "store_fixture.hpp"

#include <bulwark/session.hpp>

namespace bulwark::session {
namespace {

using namespace std::chrono_literals;
using testing_stores::test_keys;

class ClientSession : public ::testing::Test {
protected:
    ClientOptions options() {
        ClientOptions o;
        o.now = clock_.fn();
        return o;
    }
    std::string start(const ClientManager& m) {
        Session s = m.load("");
        s.set("cart", 3);
        s.bind_user("alice");
        auto c = m.save(s);
        EXPECT_TRUE(c && *c);
        return c && *c ? (**c).value : std::string();
    }
    testing_stores::FakeClock clock_;
};

TEST_F(ClientSession, RoundTrip) {
    ClientManager m(test_keys(), options());
    const std::string v = start(m);
    Session s = m.load(v);
    ASSERT_EQ(s.state(), LoadState::loaded);
    EXPECT_EQ(s.user_id(), "alice");
    ASSERT_NE(s.get("cart"), nullptr);
    EXPECT_EQ(s.get("cart")->as_int64(), 3);
    auto c = m.save(s);
    ASSERT_TRUE(c);
    EXPECT_FALSE(*c) << "unchanged and fresh: no new cookie";
}

TEST_F(ClientSession, TamperedOrForeignValuesAreRefused) {
    ClientManager m(test_keys(), options());
    const std::string v = start(m);
    std::string flipped = v;
    flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
    crypto::Signer signer(test_keys());
    const std::string other_purpose = signer.sign_at(R"({"v":1,"c":1,"s":1,"h":"","u":"admin","d":{}})",
                                                     crypto::Purpose::csrf, clock_.now);
    ClientManager other_key(test_keys("a different secret of 32 bytes!!"), options());
    const struct {
        const char* name;
        std::string value;
    } cases[] = {
        {"flipped_payload", flipped},
        {"truncated", v.substr(0, v.size() - 2)},
        {"garbage", "not a signed value"},
        {"other_purpose", other_purpose},
        {"oversized", std::string(5000, 'A')},
    };
    for (const auto& c : cases) EXPECT_EQ(m.load(c.value).state(), LoadState::malformed) << c.name;
    EXPECT_EQ(other_key.load(v).state(), LoadState::malformed);
}

TEST_F(ClientSession, IdleAndAbsoluteTimeouts) {
    ClientManager m(test_keys(), options());
    std::string v = start(m);
    clock_.advance(31min);
    EXPECT_EQ(m.load(v).state(), LoadState::expired);

    v = start(m);
    for (int i = 0; i < 71; ++i) {
        clock_.advance(10min);
        Session s = m.load(v);
        ASSERT_EQ(s.state(), LoadState::loaded) << i;
        auto c = m.save(s);
        ASSERT_TRUE(c && *c) << "a refresh re-signs";
        v = (**c).value;
    }
    clock_.advance(10min);
    EXPECT_EQ(m.load(v).state(), LoadState::expired);
}

TEST_F(ClientSession, TooLargeForACookie) {
    ClientManager m(test_keys(), options());
    Session s = m.load("");
    s.set("big", boost::json::string(3500, 'x'));
    auto c = m.save(s);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), SaveError::too_large);
}

TEST_F(ClientSession, DestroyDeletesTheCookieButACopyStaysValid) {
    ClientManager m(test_keys(), options());
    const std::string v = start(m);
    Session s = m.load(v);
    s.destroy();
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((**c).max_age, std::chrono::seconds{0});
    // Documented: signed sessions cannot be revoked; a stolen copy works until it expires.
    EXPECT_EQ(m.load(v).state(), LoadState::loaded);
}

TEST_F(ClientSession, ProductionCookie) {
    auto o = options();
    o.production = true;
    ClientManager m(test_keys(), o);
    Session s = m.load("");
    s.set("a", 1);
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((**c).name, "__Host-session");
    EXPECT_TRUE((**c).secure);
}

}  // namespace
}  // namespace bulwark::session
