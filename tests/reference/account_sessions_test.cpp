// Issue 13's password change and session management, end to end over real loopback sockets:
// each Browser is a separate client with its own cookie jar and User-Agent, as two devices of
// one user (or of two users) would be. Runs on SQLite (test_reference_account) and on
// PostgreSQL + Redis (test_reference_services).
#include "fixture.hpp"
#include "support/raw_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using bulwark::test_support::Reply;
using bulwark::test_support::RunningServer;
using bulwark::testing::Fields;
using bulwark::testing::TestClient;
using reference_test::kPassword;

namespace {

const std::string kNewPassword = "a brand new passphrase for 2026";

// Browser: one client over fresh loopback connections, keeping its cookies like a browser.
class Browser {
public:
    Browser(std::uint16_t port, std::string user_agent) : port_(port), user_agent_(std::move(user_agent)) {}

    Reply get(const std::string& target) { return send("GET", target, ""); }
    // post sends a form; the page's CSRF token is added unless the fields name one already.
    Reply post(const std::string& target, Fields fields, const std::string& token_from = "/") {
        bool has_token = false;
        for (const auto& [k, v] : fields) has_token |= k == "csrf_token";
        if (!has_token) fields.emplace_back("csrf_token", token(token_from));
        return send("POST", target, TestClient::form_encode(fields));
    }
    Reply post_without_token(const std::string& target, const Fields& fields) {
        return send("POST", target, TestClient::form_encode(fields));
    }
    std::string token(const std::string& page) { return reference_test::token_in(get(page).body()); }

    std::string cookie() const {
        auto it = jar_.find("session");
        return it == jar_.end() ? std::string() : it->second;
    }
    void set_cookie(const std::string& value) { jar_["session"] = value; }

    void log_in(const std::string& user, const std::string& password = kPassword) {
        const auto r = post("/login", {{"username", user}, {"password", password}}, "/login");
        ASSERT_EQ(r.status, 303) << user << ": " << r.raw.substr(0, 300);
    }

private:
    Reply send(const std::string& method, const std::string& target, const std::string& body) {
        std::string headers = "User-Agent: " + user_agent_ + "\r\n";
        if (!jar_.empty()) {
            std::string cookies;
            for (const auto& [k, v] : jar_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
            headers += "Cookie: " + cookies + "\r\n";
        }
        if (method == "POST") headers += "Content-Type: application/x-www-form-urlencoded\r\n";
        Reply r = bulwark::test_support::exchange(port_, method, target, headers, body);
        remember(r.raw.substr(0, r.raw.find("\r\n\r\n")));
        return r;
    }
    void remember(const std::string& head) {
        static const std::regex re(R"re(\r\nSet-Cookie: ([^=;\s]+)=([^;\r]*)([^\r]*))re");
        for (auto it = std::sregex_iterator(head.begin(), head.end(), re); it != std::sregex_iterator(); ++it) {
            const std::string name = (*it)[1], value = (*it)[2], attributes = (*it)[3];
            if (attributes.find("Max-Age=0") != std::string::npos || value.empty()) jar_.erase(name);
            else jar_[name] = value;
        }
    }

    std::uint16_t port_;
    std::string user_agent_;
    std::map<std::string, std::string> jar_;
};

// handles_on lists the revoke handles a sessions page offers, in page order.
std::vector<std::string> handles_on(const std::string& html) {
    static const std::regex re(R"re(action="/account/sessions/([A-Za-z0-9_-]+)/revoke")re");
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

class AccountSessions : public reference_test::BackendTest {
protected:
    // The login throttle's address limit raised: every client here is 127.0.0.1.
    static std::map<std::string, std::string> settings(std::map<std::string, std::string> extra = {}) {
        extra.emplace("BULWARK_LOGIN_RATE_LIMIT", "1000 per minute");
        return extra;
    }

    static void register_user(bulwark::App& app, const std::string& name) {
        TestClient c(app, "192.0.2.10");
        const auto token = reference_test::token_in(c.get("/register").body);
        ASSERT_EQ(c.post_form("/register", {{"username", name}, {"email", name + "@example.com"},
                                            {"password", kPassword}, {"csrf_token", token}}).status,
                  303) << name;
    }

    static std::string stored_hash(const reference_test::App& a, const std::string& user) {
        auto db = bulwark::db::Database::open(a.config.database_url);
        if (!db) return "open failed";
        auto h = db->one<std::string>("SELECT password_hash FROM users WHERE username = ?", user);
        return h && *h ? **h : std::string("missing");
    }
};

TEST_P(AccountSessions, PasswordChangeRefusesBadInputAndAttacks) {
    reference_test::App a(GetParam(), settings());
    register_user(a.app, "carol");
    RunningServer server(a.app);
    Browser b(server.port(), "carol-laptop");
    b.log_in("carol");
    ASSERT_EQ(b.get("/account/password").status, 200);
    const std::string before = stored_hash(a, "carol");

    struct Case {
        const char* name;
        Fields fields;
        bool with_token;
        int status;
        const char* body_has;  // a fragment of the answer ("" for none)
    };
    const std::vector<Case> cases = {
        {"missing_csrf_token", {{"current_password", kPassword}, {"new_password", kNewPassword}}, false, 400, ""},
        {"forged_csrf_token",
         {{"current_password", kPassword}, {"new_password", kNewPassword}, {"csrf_token", std::string(43, 'A')}},
         true, 400, ""},
        {"wrong_current_password", {{"current_password", "not my password at all"}, {"new_password", kNewPassword}},
         true, 400, "The current password is wrong."},
        {"empty_current_password", {{"current_password", ""}, {"new_password", kNewPassword}}, true, 400,
         "The current password is wrong."},
        {"no_fields_at_all", {}, true, 400, "The current password is wrong."},
        {"weak_new_password", {{"current_password", kPassword}, {"new_password", "password1234"}}, true, 400,
         "class=\"error\""},
        {"short_new_password", {{"current_password", kPassword}, {"new_password", "short"}}, true, 400,
         "class=\"error\""},
        {"new_equals_current", {{"current_password", kPassword}, {"new_password", kPassword}}, true, 400,
         "must differ"},
        {"new_password_is_username", {{"current_password", kPassword}, {"new_password", "carolcarolcarol"}}, true,
         400, "class=\"error\""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto r = c.with_token ? b.post("/account/password", c.fields, "/account/password")
                                    : b.post_without_token("/account/password", c.fields);
        EXPECT_EQ(r.status, c.status) << r.raw.substr(0, 400);
        if (*c.body_has) {
            EXPECT_NE(r.body().find(c.body_has), std::string::npos) << r.body().substr(0, 2000);
        }
        EXPECT_EQ(r.body().find(kNewPassword), std::string::npos);  // never echoed
        EXPECT_EQ(stored_hash(a, "carol"), before);
        EXPECT_EQ(b.get("/account/sessions").status, 200);  // still logged in
    }
    // Anonymous: the CSRF check answers first (no session, no token); with a token of an
    // anonymous session, the login page.
    Browser anonymous(server.port(), "nobody");
    EXPECT_EQ(anonymous.post_without_token("/account/password", {{"current_password", kPassword}}).status, 400);
    const auto anon = anonymous.post("/account/password", {{"current_password", kPassword}, {"new_password", kNewPassword}},
                                     "/login");
    EXPECT_EQ(anon.status, 303);
    EXPECT_EQ(anon.header("Location").value_or(""), "/login?next=/account/password");
    EXPECT_EQ(anonymous.get("/account/password").status, 303);
    EXPECT_EQ(stored_hash(a, "carol"), before);
    server.stop();
}

TEST_P(AccountSessions, PasswordChangeEndsOtherSessionsAndRotatesThisOne) {
    reference_test::App a(GetParam(), settings());
    register_user(a.app, "dave");
    register_user(a.app, "erin");
    RunningServer server(a.app);
    Browser laptop(server.port(), "dave-laptop"), phone(server.port(), "dave-phone"), erin(server.port(), "erin");
    laptop.log_in("dave");
    phone.log_in("dave");
    erin.log_in("erin");
    const std::string old_cookie = laptop.cookie();
    const std::string token = laptop.token("/account/password");

    ::testing::internal::CaptureStderr();
    const auto r = laptop.post("/account/password", {{"current_password", kPassword}, {"new_password", kNewPassword},
                                                     {"csrf_token", token}});
    // The notice goes out off the request path (in development, to the console): give it a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_EQ(r.status, 303) << r.raw.substr(0, 400);
    EXPECT_EQ(r.header("Location").value_or(""), "/");
    EXPECT_NE(log.find("To: dave@example.com"), std::string::npos) << log;
    EXPECT_NE(log.find("Subject: Your password was changed"), std::string::npos) << log;
    EXPECT_NE(log.find("\"authn_password_change\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"sessions_ended\":1"), std::string::npos) << log;
    EXPECT_EQ(log.find(kNewPassword), std::string::npos);
    EXPECT_EQ(log.find(kPassword), std::string::npos);
    EXPECT_EQ(log.find(old_cookie), std::string::npos);

    // This session: a new id; the old id is dead.
    EXPECT_FALSE(laptop.cookie().empty());
    EXPECT_NE(laptop.cookie(), old_cookie);
    const auto page = laptop.get("/account/sessions");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(handles_on(page.body()).size(), 1u);
    Browser replay(server.port(), "dave-laptop");
    replay.set_cookie(old_cookie);
    EXPECT_EQ(replay.get("/account/sessions").status, 303);
    // The other device is logged out; another user is not.
    const auto phone_page = phone.get("/account/sessions");
    EXPECT_EQ(phone_page.status, 303);
    EXPECT_EQ(phone_page.header("Location").value_or(""), "/login?next=/account/sessions");
    EXPECT_EQ(erin.get("/account/sessions").status, 200);
    // The old password no longer logs in; the new one does.
    Browser again(server.port(), "dave-tablet");
    EXPECT_EQ(again.post("/login", {{"username", "dave"}, {"password", kPassword}}, "/login").status, 401);
    EXPECT_EQ(again.post("/login", {{"username", "dave"}, {"password", kNewPassword}}, "/login").status, 303);
    server.stop();
}

TEST_P(AccountSessions, StaleLoginMustReauthenticateFirst) {
    reference_test::App a(GetParam(), settings({{"ACCOUNT_FRESH_LOGIN_SECONDS", "2"}}));
    register_user(a.app, "fay");
    RunningServer server(a.app);
    Browser b(server.port(), "fay-desktop");
    b.log_in("fay");
    const std::string token = b.token("/account/sessions");
    std::this_thread::sleep_for(std::chrono::milliseconds(2300));
    const std::string before = stored_hash(a, "fay");

    struct Step {
        const char* name;
        std::string method, target;
        Fields fields;
        int status;
        std::string location;
    };
    const std::vector<Step> stale = {
        {"form_redirects", "GET", "/account/password", {}, 303, "/login/confirm?next=/account/password"},
        {"post_redirects_and_changes_nothing", "POST", "/account/password",
         {{"current_password", kPassword}, {"new_password", kNewPassword}, {"csrf_token", token}}, 303,
         "/login/confirm?next=/account/password"},
        {"confirm_without_csrf", "POST", "/login/confirm", {{"password", kPassword}, {"next", "/account/password"}},
         400, ""},
        {"confirm_wrong_password", "POST", "/login/confirm",
         {{"password", "wrong password here"}, {"next", "/account/password"}, {"csrf_token", token}}, 401, ""},
        {"confirm_empty_password", "POST", "/login/confirm",
         {{"password", ""}, {"next", "/account/password"}, {"csrf_token", token}}, 401, ""},
        {"still_stale", "GET", "/account/password", {}, 303, "/login/confirm?next=/account/password"},
    };
    for (const auto& s : stale) {
        SCOPED_TRACE(s.name);
        const auto r = s.method == "GET" ? b.get(s.target) : b.post_without_token(s.target, s.fields);
        EXPECT_EQ(r.status, s.status) << r.raw.substr(0, 300);
        if (!s.location.empty()) {
            EXPECT_EQ(r.header("Location").value_or(""), s.location);
        }
    }
    EXPECT_EQ(stored_hash(a, "fay"), before);

    const auto form = b.get("/login/confirm?next=/account/password");
    ASSERT_EQ(form.status, 200);
    EXPECT_NE(form.body().find("name=\"next\" value=\"/account/password\""), std::string::npos);
    const std::string old_cookie = b.cookie();
    // An off-site next is never followed.
    const auto offsite = b.post("/login/confirm", {{"password", kPassword}, {"next", "//evil.example/x"}},
                                "/login/confirm");
    EXPECT_EQ(offsite.status, 303);
    EXPECT_EQ(offsite.header("Location").value_or(""), "/");
    EXPECT_NE(b.cookie(), old_cookie);  // a new id after re-authentication
    const auto ok = b.post("/login/confirm", {{"password", kPassword}, {"next", "/account/password"}},
                           "/login/confirm");
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.header("Location").value_or(""), "/account/password");
    EXPECT_EQ(b.get("/account/password").status, 200);
    const auto changed = b.post("/account/password", {{"current_password", kPassword}, {"new_password", kNewPassword}},
                                "/account/password");
    EXPECT_EQ(changed.status, 303) << changed.raw.substr(0, 400);
    EXPECT_NE(stored_hash(a, "fay"), before);
    server.stop();
}

TEST_P(AccountSessions, SessionsPageListsAndRevokesOnlyTheUsersOwn) {
    reference_test::App a(GetParam(), settings());
    register_user(a.app, "gus");
    register_user(a.app, "hal");
    RunningServer server(a.app);
    Browser one(server.port(), "gus-one <b>bold</b>"), two(server.port(), "gus-two"),
        three(server.port(), "gus-three"), hal(server.port(), "hal-only");
    one.log_in("gus");
    two.log_in("gus");
    three.log_in("gus");
    hal.log_in("hal");

    const auto page = one.get("/account/sessions");
    ASSERT_EQ(page.status, 200);
    const std::string html = page.body();
    const auto handles = handles_on(html);
    ASSERT_EQ(handles.size(), 3u) << html;
    EXPECT_EQ(count_of(html, "This session"), 1u);
    EXPECT_NE(html.find("gus-two"), std::string::npos);
    EXPECT_NE(html.find("gus-one &lt;b&gt;bold&lt;/b&gt;"), std::string::npos);  // escaped
    EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos);
    EXPECT_NE(html.find("127.0.0.1"), std::string::npos);
    EXPECT_NE(html.find(" UTC</td>"), std::string::npos);
    EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("'nonce-"), std::string::npos);
    for (const auto& h : handles) {  // a handle is never a cookie id
        EXPECT_NE(h, one.cookie());
        EXPECT_NE(h, two.cookie());
        EXPECT_NE(h, three.cookie());
    }
    EXPECT_EQ(html.find(one.cookie()), std::string::npos);
    EXPECT_EQ(html.find(two.cookie()), std::string::npos);
    const auto hal_handles = handles_on(hal.get("/account/sessions").body());
    ASSERT_EQ(hal_handles.size(), 1u);
    // Which handle is two's: the one two's own page marks current.
    const std::string two_page = two.get("/account/sessions").body();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(two_page, m, std::regex(R"re(<strong>This session</strong> <form method="post" action="/account/sessions/([A-Za-z0-9_-]+)/revoke")re")));
    const std::string two_handle = m[1];

    struct Attack {
        const char* name;
        std::string handle;
        bool with_token;
        int status;
    };
    const std::vector<Attack> attacks = {
        {"another_users_handle", hal_handles[0], true, 404},
        {"unknown_handle", std::string(22, 'A'), true, 404},
        {"overlong_handle", std::string(600, 'A'), true, 404},
        {"own_cookie_id_as_handle", one.cookie(), true, 404},
        {"other_sessions_cookie_id_as_handle", two.cookie(), true, 404},
        {"own_handle_without_csrf", two_handle, false, 400},
    };
    for (const auto& at : attacks) {
        SCOPED_TRACE(at.name);
        const std::string target = "/account/sessions/" + at.handle + "/revoke";
        const auto r = at.with_token ? one.post(target, {}, "/account/sessions") : one.post_without_token(target, {});
        EXPECT_EQ(r.status, at.status) << r.raw.substr(0, 300);
        EXPECT_EQ(r.body().find("hal"), std::string::npos);  // never says whose it is
        EXPECT_EQ(hal.get("/account/sessions").status, 200);
        EXPECT_EQ(two.get("/account/sessions").status, 200);
        EXPECT_EQ(one.get("/account/sessions").status, 200);
    }
    // An anonymous client cannot revoke anything either.
    Browser anonymous(server.port(), "nobody");
    EXPECT_EQ(anonymous.post("/account/sessions/" + two_handle + "/revoke", {}, "/login").status, 303);
    EXPECT_EQ(two.get("/account/sessions").status, 200);

    // "Log out this one" on two's session: two is refused from its own client afterwards.
    ::testing::internal::CaptureStderr();
    const auto revoked = one.post("/account/sessions/" + two_handle + "/revoke", {}, "/account/sessions");
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(revoked.status, 303);
    EXPECT_EQ(revoked.header("Location").value_or(""), "/account/sessions");
    EXPECT_NE(log.find("\"authn_token_revoked\""), std::string::npos) << log;
    EXPECT_EQ(log.find(two.cookie()), std::string::npos);
    EXPECT_EQ(two.get("/account/sessions").status, 303);
    EXPECT_EQ(handles_on(one.get("/account/sessions").body()).size(), 2u);
    // Twice: it is gone, so 404.
    EXPECT_EQ(one.post("/account/sessions/" + two_handle + "/revoke", {}, "/account/sessions").status, 404);

    // "Log out all others": three is refused, one stays, hal is untouched.
    const auto others = one.post("/account/sessions/revoke-others", {}, "/account/sessions");
    EXPECT_EQ(others.status, 303);
    EXPECT_EQ(three.get("/account/sessions").status, 303);
    const auto after = one.get("/account/sessions");
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(handles_on(after.body()).size(), 1u);
    EXPECT_EQ(hal.get("/account/sessions").status, 200);
    EXPECT_EQ(one.post_without_token("/account/sessions/revoke-others", {}).status, 400);

    // "Log out this one" on the current session is a logout: cookie gone, old id refused.
    const std::string own_cookie = one.cookie();
    const auto own = handles_on(after.body());
    ASSERT_EQ(own.size(), 1u);
    const auto self = one.post("/account/sessions/" + own[0] + "/revoke", {}, "/account/sessions");
    EXPECT_EQ(self.status, 303);
    EXPECT_EQ(self.header("Location").value_or(""), "/");
    Browser replay(server.port(), "gus-one");
    replay.set_cookie(own_cookie);
    EXPECT_EQ(replay.get("/account/sessions").status, 303);
    server.stop();
}

INSTANTIATE_TEST_SUITE_P(, AccountSessions, reference_test::backends(), reference_test::backend_name);

}  // namespace
