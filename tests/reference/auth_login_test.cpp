// The reference app's logins end to end, in process: rehash of out of date stored hashes,
// the per-address and per-account throttles with their audit events, and refresh rotation
// with reuse detection.
#include "fixture.hpp"

#include <bulwark/db.hpp>
#include <bulwark/password.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using bulwark::Headers;
using bulwark::testing::TestClient;
using bulwark::testing::TestResponse;
using reference_test::kPassword;
using reference_test::token_in;

namespace {

// Werkzeug 2.x's generate_password_hash(kPassword, "pbkdf2:sha256:260000") with a fixed salt,
// made with Python's hashlib.pbkdf2_hmac (what Werkzeug calls).
const std::string kWerkzeugHash =
    "pbkdf2:sha256:260000$Qw3rTy9sAlT5xyzA$bd50f8cedadd02c1a40ce62029fa493e71939df7ab73cc32c52eacfff3340d89";

std::string str(const TestResponse& r, std::string_view key) {
    auto v = boost::json::parse(r.body);
    if (!v.is_object()) return {};
    auto* s = v.as_object().if_contains(key);
    return s && s->is_string() ? std::string(s->get_string()) : std::string();
}

Headers bearer(const std::string& token) {
    Headers h;
    h.set("Authorization", "Bearer " + token);
    return h;
}

TestResponse register_user(TestClient& c, const std::string& name) {
    const auto token = token_in(c.get("/register").body);
    return c.post_form("/register", {{"username", name}, {"email", name + "@example.com"},
                                     {"password", kPassword}, {"csrf_token", token}});
}

TestResponse login_form(TestClient& c, const std::string& name, const std::string& password) {
    const auto token = token_in(c.get("/login").body);
    return c.post_form("/login", {{"username", name}, {"password", password}, {"csrf_token", token}});
}

TestResponse login_api(TestClient& c, const std::string& name, const std::string& password) {
    boost::json::object body{{"username", name}, {"password", password}};
    return c.post_json("/api/login", boost::json::serialize(body));
}

struct Db {
    bulwark::db::Database db;
    explicit Db(const reference_test::App& a) : db(open(a)) {}
    static bulwark::db::Database open(const reference_test::App& a) {
        auto d = bulwark::db::Database::open(a.config.database_url);
        if (!d) throw std::runtime_error("test database");
        return std::move(*d);
    }
    std::string hash_of(const std::string& user) {
        auto h = db.one<std::string>("SELECT password_hash FROM users WHERE username = ?", user);
        return h && *h ? **h : std::string();
    }
    void set_hash(const std::string& user, const std::string& hash) {
        ASSERT_TRUE(db.execute("UPDATE users SET password_hash = ? WHERE username = ?", hash, user));
    }
};

// Counts lines of the security log (stderr) naming an event.
int count_event(const std::string& log, const std::string& event) {
    int n = 0;
    const std::string needle = "\"event\":\"" + event + "\"";
    for (auto pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1)) ++n;
    return n;
}

// A client per attempt, each from its own address, so only the account limit is in play.
std::string address(int i) { return "203.0.113." + std::to_string(i + 1); }

}  // namespace

// ---- 1. rehash on login --------------------------------------------------------------------

struct RehashCase {
    std::string name;
    std::function<std::string()> old_hash;
    bool via_api;
};

TEST(ReferenceAuthRehash, OldSchemesAndWeakerParametersBecomeCurrentArgon2idOnLogin) {
    const std::vector<RehashCase> cases = {
        {"werkzeug pbkdf2, form login", [] { return kWerkzeugHash; }, false},
        {"werkzeug pbkdf2, api login", [] { return kWerkzeugHash; }, true},
        {"argon2id with other parameters (46 MiB, t=1), api login",
         [] { return *bulwark::password::Hasher({.memory_kib = 46 * 1024, .iterations = 1}).hash(kPassword); }, true},
    };
    for (const auto& k : cases) {
        SCOPED_TRACE(k.name);
        reference_test::App a;
        TestClient c(a.app);
        ASSERT_EQ(register_user(c, "mia").status, 303);
        Db db(a);
        const auto old_hash = k.old_hash();
        db.set_hash("mia", old_hash);
        ASSERT_TRUE(bulwark::password::needs_rehash(db.hash_of("mia")));

        // A wrong password changes nothing.
        EXPECT_EQ((k.via_api ? login_api(c, "mia", "wrong password here") : login_form(c, "mia", "wrong password here")).status,
                  401);
        EXPECT_EQ(db.hash_of("mia"), old_hash);

        auto ok = k.via_api ? login_api(c, "mia", kPassword) : login_form(c, "mia", kPassword);
        ASSERT_EQ(ok.status, k.via_api ? 200 : 303) << ok.body;
        const auto upgraded = db.hash_of("mia");
        EXPECT_EQ(upgraded.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << upgraded;
        EXPECT_FALSE(bulwark::password::needs_rehash(upgraded));
        EXPECT_TRUE(bulwark::password::verify(kPassword, upgraded));

        // Still logs in, by either path, and the current hash is left alone.
        TestClient again(a.app, "198.51.100.20");
        EXPECT_EQ(login_api(again, "mia", kPassword).status, 200);
        EXPECT_EQ(login_form(again, "mia", kPassword).status, 303);
        EXPECT_EQ(db.hash_of("mia"), upgraded);
    }
}

// ---- 2. brute-force throttles ------------------------------------------------------------------

TEST(ReferenceAuthThrottle, AddressLimitCountsBothLoginPathsAndASuccessDoesNotResetIt) {
    reference_test::App a;
    TestClient setup(a.app, "192.0.2.200");
    ASSERT_EQ(register_user(setup, "nina").status, 303);
    TestClient c(a.app, "192.0.2.1");
    EXPECT_EQ(login_form(c, "nina", "wrong password one").status, 401);
    EXPECT_EQ(login_api(c, "nina", "wrong password two").status, 401);
    EXPECT_EQ(login_form(c, "nobody", "wrong password three").status, 401);
    EXPECT_EQ(login_api(c, "nina", kPassword).status, 200);  // success: the address count stays
    EXPECT_EQ(login_form(c, "nina", kPassword).status, 303);
    // The sixth attempt from this address in the minute, on either path.
    for (bool api : {true, false}) {
        auto r = api ? login_api(c, "nina", kPassword) : login_form(c, "nina", kPassword);
        EXPECT_EQ(r.status, 429) << api;
        EXPECT_TRUE(r.header("Retry-After")) << api;
    }
    // Another address is not affected.
    TestClient other(a.app, "192.0.2.2");
    EXPECT_EQ(login_api(other, "nina", kPassword).status, 200);
}

TEST(ReferenceAuthThrottle, AccountLocksAfterTenFailuresFromAnyAddressAlikeForUnknownUsers) {
    reference_test::App a;
    TestClient setup(a.app, "192.0.2.200");
    ASSERT_EQ(register_user(setup, "olga").status, 303);
    ASSERT_EQ(register_user(setup, "pete").status, 303);

    testing::internal::CaptureStderr();
    for (const std::string user : {"olga", "ghost"}) {
        for (int i = 0; i < 9; ++i) {
            TestClient c(a.app, address(i));
            EXPECT_EQ(login_api(c, user, "wrong password " + std::to_string(i)).status, 401) << user << i;
        }
    }
    // Another account's success (from an address olga's attacker used) resets nothing of olga's.
    TestClient pete(a.app, address(0));
    EXPECT_EQ(login_api(pete, "pete", kPassword).status, 200);
    for (const std::string user : {"olga", "ghost"}) {
        TestClient c(a.app, address(9));
        EXPECT_EQ(login_form(c, user, "wrong password 9").status, 401) << user;  // the tenth
    }
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(count_event(log, "authn_login_fail"), 20);
    EXPECT_EQ(count_event(log, "authn_login_fail_max"), 2);
    EXPECT_EQ(count_event(log, "authn_login_lock"), 2);
    EXPECT_NE(log.find("\"user\":\"olga\""), std::string::npos);
    EXPECT_EQ(log.find("\"user\":\"ghost\""), std::string::npos);  // unknown names are not logged
    EXPECT_EQ(log.find("wrong password"), std::string::npos);

    // Locked: even the right password, from a new address, by either path; the same answer
    // for the real account and the unknown one.
    TestClient fresh(a.app, "198.51.100.77");
    auto locked_api = login_api(fresh, "olga", kPassword);
    auto ghost_api = login_api(fresh, "ghost", kPassword);
    EXPECT_EQ(locked_api.status, 429);
    EXPECT_EQ(ghost_api.status, 429);
    EXPECT_EQ(locked_api.body, ghost_api.body);
    EXPECT_EQ(str(locked_api, "msg"), "Too many login attempts");
    const int retry = std::stoi(std::string(locked_api.header("Retry-After").value_or("0")));
    EXPECT_GT(retry, 14 * 60);
    EXPECT_LE(retry, 15 * 60);
    auto locked_form = login_form(fresh, "olga", kPassword);
    EXPECT_EQ(locked_form.status, 429);
    EXPECT_TRUE(locked_form.header("Retry-After"));
    EXPECT_EQ(fresh.get("/").body.find("olga"), std::string::npos);  // not logged in
    // Case folded: "OLGA" is the same account.
    EXPECT_EQ(login_api(fresh, "OLGA", kPassword).status, 429);
    // Pete is not locked.
    EXPECT_EQ(login_api(fresh, "pete", kPassword).status, 200);
}

TEST(ReferenceAuthThrottle, SuccessBeforeTheLockClearsThatAccountsFailures) {
    reference_test::App a;
    TestClient setup(a.app, "192.0.2.200");
    ASSERT_EQ(register_user(setup, "quin").status, 303);
    for (int i = 0; i < 9; ++i) {
        TestClient c(a.app, address(i));
        EXPECT_EQ(login_api(c, "quin", "wrong password").status, 401);
    }
    TestClient owner(a.app, address(20));
    EXPECT_EQ(login_api(owner, "quin", kPassword).status, 200);
    for (int i = 0; i < 9; ++i) {
        TestClient c(a.app, address(30 + i));
        EXPECT_EQ(login_api(c, "quin", "wrong password").status, 401) << i;
    }
    TestClient later(a.app, address(50));
    EXPECT_EQ(login_api(later, "quin", kPassword).status, 200);
}

// ---- 3. refresh rotation ---------------------------------------------------------------------

TEST(ReferenceAuthRefresh, RotatesAndReuseRevokesTheFamily) {
    reference_test::App a;
    TestClient c(a.app);
    ASSERT_EQ(register_user(c, "rosa").status, 303);
    auto login = login_api(c, "rosa", kPassword);
    ASSERT_EQ(login.status, 200);
    const auto refresh1 = str(login, "refresh_token");

    auto r2 = c.request("POST", "/api/refresh", bearer(refresh1), "");
    ASSERT_EQ(r2.status, 200) << r2.body;
    const auto access2 = str(r2, "access_token");
    const auto refresh2 = str(r2, "refresh_token");
    ASSERT_FALSE(access2.empty());
    ASSERT_FALSE(refresh2.empty());
    EXPECT_NE(refresh2, refresh1);
    EXPECT_EQ(c.get("/api/protected", bearer(access2)).status, 200);
    // A refresh token is not an access token, and an access token cannot refresh.
    EXPECT_EQ(c.get("/api/protected", bearer(refresh2)).status, 401);
    EXPECT_EQ(c.request("POST", "/api/refresh", bearer(access2), "").status, 401);

    auto r3 = c.request("POST", "/api/refresh", bearer(refresh2), "");
    ASSERT_EQ(r3.status, 200);
    const auto access3 = str(r3, "access_token");
    const auto refresh3 = str(r3, "refresh_token");

    // A second login starts a family of its own.
    auto other = login_api(c, "rosa", kPassword);
    const auto other_refresh = str(other, "refresh_token");

    // refresh1 was used: presenting it again is theft (or a replay); the family ends.
    testing::internal::CaptureStderr();
    auto reuse = c.request("POST", "/api/refresh", bearer(refresh1), "");
    const auto log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(reuse.status, 401);
    EXPECT_EQ(count_event(log, "authn_token_reuse"), 1);
    EXPECT_EQ(log.find(refresh1), std::string::npos);
    EXPECT_EQ(c.request("POST", "/api/refresh", bearer(refresh3), "").status, 401);
    EXPECT_EQ(c.request("POST", "/api/refresh", bearer(refresh2), "").status, 401);
    EXPECT_EQ(c.get("/api/protected", bearer(access3)).status, 401);
    // The other login is untouched.
    EXPECT_EQ(c.request("POST", "/api/refresh", bearer(other_refresh), "").status, 200);
}
