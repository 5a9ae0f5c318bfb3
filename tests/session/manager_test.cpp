// Server-side sessions on every store backend: creation, timeouts, rotation, destruction,
// the per-user index and "log out everywhere", the write throttle.
#include "store_fixture.hpp"

#include <bulwark/session.hpp>

#include <boost/json/serialize.hpp>

namespace bulwark::session {
namespace {

using namespace std::chrono_literals;
using testing_stores::CountingStore;
using testing_stores::test_keys;

class SessionStore : public testing_stores::StoreTest {
protected:
    Options options() {
        Options o;
        o.now = clock_.fn();
        return o;
    }
    Manager manager(Options o) { return Manager(store_, test_keys(), std::move(o)); }
    Manager manager() { return manager(options()); }

    // start: a saved session with one value; returns the cookie value.
    std::string start(const Manager& m, std::string_view user = {}, std::string_view address = "203.0.113.9") {
        Session s = m.load("", address, "UA/1.0");
        s.set("k", 1);
        if (!user.empty()) s.bind_user(user);
        auto c = m.save(s);
        EXPECT_TRUE(c && *c);
        return c && *c ? (*c)->value : std::string();
    }
    std::string record_key(std::string_view id) {
        auto key = test_keys().subkey(crypto::Purpose::session);
        return "sess|s|" + crypto::hex_encode(crypto::hmac_sha256(key.reveal(), crypto::as_bytes(id)));
    }
    std::string index_key(std::string_view user) {
        auto key = test_keys().subkey(crypto::Purpose::session);
        std::string message = "user";
        message.push_back('\0');
        message.append(user);
        return "sess|u|" + crypto::hex_encode(crypto::hmac_sha256(key.reveal(), crypto::as_bytes(message)));
    }
};

TEST_P(SessionStore, AnonymousEmptySessionWritesNothingAndSendsNoCookie) {
    CountingStore* counting = nullptr;
    auto wrapped = std::make_shared<CountingStore>(store_);
    counting = wrapped.get();
    Manager m(wrapped, test_keys(), options());
    Session s = m.load("");
    EXPECT_EQ(s.state(), LoadState::none);
    EXPECT_TRUE(s.is_new());
    auto c = m.save(s);
    ASSERT_TRUE(c);
    EXPECT_FALSE(*c);
    EXPECT_EQ(counting->writes, 0);
    EXPECT_EQ(counting->reads, 0);
}

TEST_P(SessionStore, NewSessionCookieAttributesDevelopmentAndProduction) {
    for (bool production : {false, true}) {
        auto o = options();
        o.production = production;
        Manager m = manager(o);
        Session s = m.load("");
        s.set("x", "y");
        auto c = m.save(s);
        ASSERT_TRUE(c && *c);
        const CookieSpec& spec = **c;
        EXPECT_EQ(spec.name, production ? "__Host-session" : "session");
        EXPECT_EQ(spec.secure, production);
        EXPECT_TRUE(spec.http_only);
        EXPECT_EQ(spec.same_site, "Lax");
        EXPECT_EQ(spec.path, "/");
        EXPECT_FALSE(spec.max_age.has_value());  // a browser-session cookie by default
        EXPECT_TRUE(valid_cookie_id(spec.value));
        EXPECT_EQ(m.cookie_name(), spec.name);
    }
}

TEST_P(SessionStore, DataRoundTripsAndStoreHoldsOnlyTheKeyedHash) {
    Manager m = manager();
    Session s = m.load("", "198.51.100.7", "Firefox");
    s.set("cart", boost::json::array{1, 2, 3});
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    const std::string id = (**c).value;

    Session back = m.load(id);
    EXPECT_EQ(back.state(), LoadState::loaded);
    ASSERT_NE(back.get("cart"), nullptr);
    EXPECT_EQ(boost::json::serialize(*back.get("cart")), "[1,2,3]");
    EXPECT_FALSE(back.handle().empty());

    auto raw = store_->get("sess|s|" + id);
    ASSERT_TRUE(raw);
    EXPECT_FALSE(raw->has_value()) << "the raw id must never be a store key";
    auto hashed = store_->get(record_key(id));
    ASSERT_TRUE(hashed && hashed->has_value());
    EXPECT_EQ((*hashed)->find(id), std::string::npos) << "the record must not contain the id";
    EXPECT_EQ((*hashed)->find(back.handle()) != std::string::npos, true);
}

TEST_P(SessionStore, MalformedCookieValuesAreNoSession) {
    Manager m = manager();
    const std::string good = start(m);
    const struct {
        const char* name;
        std::string value;
    } cases[] = {
        {"one_short", good.substr(1)},
        {"one_long", good + "A"},
        {"padding", good.substr(0, 42) + "="},
        {"plus_slash_alphabet", std::string(42, 'A') + "+"},
        {"space", std::string(42, 'A') + " "},
        {"quote_wrapped", "\"" + good.substr(0, 41) + "\""},
        {"non_canonical_last_char", std::string(42, 'A') + "B"},
        {"non_ascii", std::string(41, 'A') + "\xC3\xA9"},
        {"nul", std::string(42, 'A') + std::string(1, '\0')},
        {"huge", std::string(100000, 'A')},
        {"hex_id", std::string(64, 'a')},
    };
    for (const auto& c : cases) {
        Session s = m.load(c.value);
        EXPECT_EQ(s.state(), LoadState::malformed) << c.name;
        EXPECT_TRUE(s.is_new()) << c.name;
        auto saved = m.save(s);
        ASSERT_TRUE(saved && *saved) << c.name << ": the bad cookie must be deleted";
        EXPECT_EQ((**saved).max_age, std::chrono::seconds{0}) << c.name;
    }
}

TEST_P(SessionStore, WellFormedUnknownIdIsUnknown) {
    Manager m = manager();
    Session s = m.load(crypto::random_token(32));
    EXPECT_EQ(s.state(), LoadState::unknown);
    EXPECT_TRUE(s.is_new());
}

TEST_P(SessionStore, IdleTimeout) {
    Manager m = manager();
    const std::string id = start(m);
    clock_.advance(29min);
    Session s = m.load(id);
    ASSERT_EQ(s.state(), LoadState::loaded);
    ASSERT_TRUE(m.save(s));  // refresh: last_seen moves
    clock_.advance(29min);
    EXPECT_EQ(m.load(id).state(), LoadState::loaded) << "activity extends the idle window";
    clock_.advance(31min);
    EXPECT_EQ(m.load(id).state(), LoadState::expired);
    EXPECT_EQ(m.load(id).state(), LoadState::unknown) << "an expired record is removed";
}

TEST_P(SessionStore, AbsoluteTimeoutDespiteActivity) {
    Manager m = manager();
    const std::string id = start(m);
    for (int i = 0; i < 71; ++i) {  // 11 h 50 min of a request every 10 minutes
        clock_.advance(10min);
        Session s = m.load(id);
        ASSERT_EQ(s.state(), LoadState::loaded) << i;
        ASSERT_TRUE(m.save(s));
    }
    clock_.advance(10min);
    EXPECT_EQ(m.load(id).state(), LoadState::expired);
}

TEST_P(SessionStore, UnchangedSessionWritesAtMostOncePerRefreshInterval) {
    auto counting = std::make_shared<CountingStore>(store_);
    Manager m(counting, test_keys(), options());
    const std::string id = start(m);
    counting->writes = 0;
    for (int i = 0; i < 5; ++i) {
        clock_.advance(5s);
        Session s = m.load(id);
        auto c = m.save(s);
        ASSERT_TRUE(c);
        EXPECT_FALSE(*c) << "no Set-Cookie for an unchanged session";
    }
    EXPECT_EQ(counting->writes, 0);
    clock_.advance(60s);
    Session s = m.load(id);
    ASSERT_TRUE(m.save(s));
    EXPECT_EQ(counting->writes, 1) << "the refresh after refresh_interval";
    s.set("changed", true);
    ASSERT_TRUE(m.save(s));
    EXPECT_EQ(counting->writes, 2) << "a change is written at once";
}

TEST_P(SessionStore, RotateGivesNewIdKeepsDataAndKillsOldId) {
    Manager m = manager();
    const std::string id = start(m);
    Session s = m.load(id);
    const auto created = s.created_at();
    const std::string handle = s.handle();
    s.rotate();
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    const std::string fresh = (**c).value;
    EXPECT_NE(fresh, id);
    EXPECT_EQ(m.load(id).state(), LoadState::unknown) << "the old id must be dead (fixation)";
    Session back = m.load(fresh);
    ASSERT_EQ(back.state(), LoadState::loaded);
    ASSERT_NE(back.get("k"), nullptr);
    EXPECT_EQ(back.created_at(), created) << "rotation does not reset the absolute timeout";
    EXPECT_EQ(back.handle(), handle);
}

TEST_P(SessionStore, BindingAUserRotatesTheId) {
    Manager m = manager();
    const std::string planted = start(m);  // an attacker's pre-login session
    Session s = m.load(planted);
    s.bind_user("alice");
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_NE((**c).value, planted);
    EXPECT_EQ(m.load(planted).state(), LoadState::unknown);
    EXPECT_EQ(m.load((**c).value).user_id(), "alice");
}

TEST_P(SessionStore, DestroyRemovesRecordAndDeletesCookie) {
    Manager m = manager();
    const std::string id = start(m, "alice");
    Session s = m.load(id);
    s.destroy();
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((**c).max_age, std::chrono::seconds{0});
    EXPECT_EQ(m.load(id).state(), LoadState::unknown);
    auto list = m.list_for_user("alice");
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->empty());
}

TEST_P(SessionStore, DestroyThenNewDataStartsAFreshSession) {
    Manager m = manager();
    const std::string id = start(m, "alice");
    Session s = m.load(id);
    s.destroy();
    s.set("flash", "logged out");
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_NE((**c).value, id);
    EXPECT_EQ(m.load(id).state(), LoadState::unknown);
    Session back = m.load((**c).value);
    EXPECT_EQ(back.user_id(), "");
    ASSERT_NE(back.get("flash"), nullptr);
}

TEST_P(SessionStore, EmptiedAnonymousSessionIsDropped) {
    Manager m = manager();
    const std::string id = start(m);
    Session s = m.load(id);
    s.clear();
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((**c).max_age, std::chrono::seconds{0});
    EXPECT_EQ(m.load(id).state(), LoadState::unknown);
}

TEST_P(SessionStore, DataOverTheLimitIsRefused) {
    auto o = options();
    o.max_data_bytes = 1024;
    Manager m = manager(o);
    Session s = m.load("");
    s.set("big", boost::json::string(2000, 'x'));
    auto c = m.save(s);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), SaveError::too_large);
}

TEST_P(SessionStore, LogOutEverywhereKeepsOnlyTheCurrentSession) {
    Manager m = manager();
    const std::string a1 = start(m, "alice"), a2 = start(m, "alice"), a3 = start(m, "alice");
    const std::string b1 = start(m, "bob");
    Session current = m.load(a1);
    auto ended = m.end_all_for_user("alice", &current);
    ASSERT_TRUE(ended);
    EXPECT_EQ(*ended, 2u);
    ASSERT_TRUE(m.save(current));
    EXPECT_EQ(m.load(a2).state(), LoadState::unknown);
    EXPECT_EQ(m.load(a3).state(), LoadState::unknown);
    EXPECT_EQ(m.load(b1).state(), LoadState::loaded) << "another user's session is untouched";
    clock_.advance(2min);  // past refresh_interval: the epoch is checked
    EXPECT_EQ(m.load(a1).state(), LoadState::loaded) << "the kept session carries the new epoch";
}

TEST_P(SessionStore, EpochEndsASessionTheIndexLost) {
    Manager m = manager();
    const std::string a1 = start(m, "alice");
    ASSERT_TRUE(store_->erase(index_key("alice")));  // as if a racing index update lost it
    auto ended = m.end_all_for_user("alice");
    ASSERT_TRUE(ended);
    EXPECT_EQ(*ended, 0u);
    clock_.advance(61s);
    EXPECT_EQ(m.load(a1).state(), LoadState::revoked);
}

TEST_P(SessionStore, ListAndRevokeByHandle) {
    Manager m = manager();
    const std::string a1 = start(m, "alice", "192.0.2.1");
    clock_.advance(1s);
    const std::string a2 = start(m, "alice", "192.0.2.2");
    const std::string b1 = start(m, "bob");
    auto list = m.list_for_user("alice");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].address, "192.0.2.1");
    EXPECT_EQ((*list)[1].address, "192.0.2.2");
    EXPECT_EQ((*list)[0].user_agent, "UA/1.0");
    EXPECT_EQ((*list)[0].created_at, clock_.now - 1s);

    const std::string bob_handle = m.load(b1).handle();
    auto foreign = m.revoke("alice", bob_handle);
    ASSERT_TRUE(foreign);
    EXPECT_FALSE(*foreign) << "another user's session is not alice's to revoke";
    EXPECT_EQ(m.load(b1).state(), LoadState::loaded);
    auto unknown = m.revoke("alice", "no-such-handle");
    ASSERT_TRUE(unknown);
    EXPECT_FALSE(*unknown);

    auto own = m.revoke("alice", (*list)[1].handle);
    ASSERT_TRUE(own);
    EXPECT_TRUE(*own);
    EXPECT_EQ(m.load(a2).state(), LoadState::unknown);
    EXPECT_EQ(m.load(a1).state(), LoadState::loaded);
}

TEST_P(SessionStore, SessionsPerUserAreCapped) {
    auto o = options();
    o.max_sessions_per_user = 3;
    Manager m = manager(o);
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.push_back(start(m, "alice"));
        clock_.advance(1s);
    }
    EXPECT_EQ(m.load(ids[0]).state(), LoadState::unknown) << "the oldest is ended";
    for (int i = 1; i < 4; ++i) EXPECT_EQ(m.load(ids[i]).state(), LoadState::loaded) << i;
    auto list = m.list_for_user("alice");
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 3u);
}

TEST_P(SessionStore, PersistentCookieMaxAgeCountsDownToTheAbsoluteTimeout) {
    auto o = options();
    o.persistent_cookie = true;
    Manager m = manager(o);
    Session s = m.load("");
    s.set("a", 1);
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    EXPECT_EQ((**c).max_age, std::chrono::seconds{12h});
}

TEST_P(SessionStore, DamagedRecordIsNotTrusted) {
    Manager m = manager();
    const std::string id = start(m);
    ASSERT_TRUE(store_->set(record_key(id), R"({"v":1,"c":0,"s":0,"h":"x","d":[]})", store::Ttl{60000}));
    EXPECT_EQ(m.load(id).state(), LoadState::unknown);
}

BULWARK_STORE_SUITE(SessionStore);

TEST(SessionManager, StoreDownFailsClosed) {
    Manager m(std::make_shared<testing_stores::DownStore>(), test_keys());
    Session s = m.load(crypto::random_token(32));
    EXPECT_EQ(s.state(), LoadState::store_error);
    EXPECT_TRUE(s.user_id().empty());
    s.set("a", 1);
    auto c = m.save(s);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error(), SaveError::store_unavailable);
}

// A cookie the store could not look up is left alone (no Max-Age=0), so the session works
// again when the store answers; it granted nothing in between.
TEST(SessionManager, StoreDownKeepsTheCookieForLater) {
    auto store = *store::open("memory://");
    Manager up(store, test_keys());
    Session s = up.load("");
    s.bind_user("alice");
    auto made = up.save(s);
    ASSERT_TRUE(made && *made);
    const std::string cookie = (*made)->value;

    Manager down(std::make_shared<testing_stores::DownStore>(), test_keys());
    Session unread = down.load(cookie);
    EXPECT_EQ(unread.state(), LoadState::store_error);
    EXPECT_TRUE(unread.user_id().empty());
    auto kept = down.save(unread);
    ASSERT_TRUE(kept);
    EXPECT_FALSE(*kept) << "no Set-Cookie: deleting the cookie would log the user out for good";

    Session back = up.load(cookie);
    EXPECT_EQ(back.state(), LoadState::loaded);
    EXPECT_EQ(back.user_id(), "alice");
}

TEST(SessionManager, BadConfigurationRefusesToStart) {
    auto store = *store::open("memory://");
    Options idle_over_absolute;
    idle_over_absolute.idle_timeout = std::chrono::hours(13);
    EXPECT_THROW(Manager(store, test_keys(), idle_over_absolute), std::invalid_argument);
    Options refresh_too_long;
    refresh_too_long.refresh_interval = std::chrono::hours(1);
    EXPECT_THROW(Manager(store, test_keys(), refresh_too_long), std::invalid_argument);
    EXPECT_THROW(Manager(nullptr, test_keys()), std::invalid_argument);
}

TEST(SessionManager, OtherKeyRingCannotFindTheRecord) {
    auto store = *store::open("memory://");
    Manager m(store, test_keys());
    Session s = m.load("");
    s.set("a", 1);
    auto c = m.save(s);
    ASSERT_TRUE(c && *c);
    Manager other(store, test_keys("another secret key, 32 bytes long!!"));
    EXPECT_EQ(other.load((**c).value).state(), LoadState::unknown);
}

}  // namespace
}  // namespace bulwark::session
