// Login state and authorization decisions, as pure functions over a Session.
#include "store_fixture.hpp"

#include <bulwark/auth.hpp>

namespace bulwark::auth {
namespace {

using namespace std::chrono_literals;
const TimePoint kNow{std::chrono::seconds{1'700'000'000}};

TEST(Login, LoginSetsUserRotatesAndIsFresh) {
    session::Session s;
    login_user(s, "42", Fresh::yes, 7, kNow);
    EXPECT_EQ(current_user_id(s), "42");
    EXPECT_EQ(s.user_id(), "42");
    EXPECT_EQ(auth_epoch(s), 7);
    EXPECT_TRUE(is_fresh(s, 15min, kNow + 14min));
    EXPECT_FALSE(is_fresh(s, 15min, kNow + 15min));
    EXPECT_FALSE(is_fresh(s, 15min, kNow - 1s)) << "a login from the future is not fresh";
}

TEST(Login, RememberMeLoginIsNotFreshUntilReauthenticated) {
    session::Session s;
    login_user(s, "42", Fresh::no, 0, kNow);
    EXPECT_EQ(current_user_id(s), "42");
    EXPECT_FALSE(is_fresh(s, 15min, kNow));
    mark_fresh(s, kNow + 1h);
    EXPECT_TRUE(is_fresh(s, 15min, kNow + 1h));
}

TEST(Login, DataWithoutTheBindingIsNotALogin) {
    session::Session s;
    s.set("_auth", boost::json::object{{"uid", "admin"}, {"at", 0}, {"fresh", true}, {"ep", 0}});
    EXPECT_EQ(current_user_id(s), "") << "the session is not bound to that user";
    session::Session wrong_type;
    wrong_type.bind_user("1");
    wrong_type.set("_auth", boost::json::object{{"uid", 1}});
    EXPECT_EQ(current_user_id(wrong_type), "");
}

TEST(Login, LogoutEmptiesTheSession) {
    session::Session s;
    login_user(s, "42", Fresh::yes, 0, kNow);
    logout_user(s);
    EXPECT_EQ(current_user_id(s), "");
    EXPECT_TRUE(s.data().empty());
}

TEST(TwoStep, PendingLoginIsAnonymousUntilCompleted) {
    session::Session s;
    begin_second_factor(s, "42", Remember::yes, 5min, kNow);
    EXPECT_EQ(current_user_id(s), "") << "going straight to another page must stay anonymous";
    EXPECT_FALSE(login_required(RequestKind::html, "/account", !current_user_id(s).empty()).allowed());
    auto pending = pending_second_factor(s, kNow + 1min);
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->user_id, "42");
    EXPECT_EQ(pending->remember, Remember::yes);
    auto done = complete_second_factor(s, 0, kNow + 1min);
    ASSERT_TRUE(done);
    EXPECT_EQ(current_user_id(s), "42");
    EXPECT_FALSE(pending_second_factor(s, kNow + 1min)) << "the pending state is gone";
}

TEST(TwoStep, PendingLoginExpires) {
    session::Session s;
    begin_second_factor(s, "42", Remember::no, 5min, kNow);
    EXPECT_FALSE(complete_second_factor(s, 0, kNow + 5min));
    EXPECT_EQ(current_user_id(s), "");
    EXPECT_FALSE(pending_second_factor(s, kNow)) << "an expired pending state is removed";
}

TEST(TwoStep, BeginningASecondFactorDropsAnEarlierLogin) {
    session::Session s;
    login_user(s, "7", Fresh::yes, 0, kNow);
    begin_second_factor(s, "42", Remember::no, 5min, kNow);
    EXPECT_EQ(current_user_id(s), "");
}

TEST(Decisions, LoginRequired) {
    const struct {
        const char* name;
        RequestKind kind;
        std::string target;
        bool logged_in;
        Outcome outcome;
        int status;
        std::string location;
    } cases[] = {
        {"logged_in_html", RequestKind::html, "/x", true, Outcome::allow, 200, ""},
        {"logged_in_json", RequestKind::json, "/x", true, Outcome::allow, 200, ""},
        {"anon_html", RequestKind::html, "/account", false, Outcome::redirect_login, 303, "/login?next=/account"},
        {"anon_html_query", RequestKind::html, "/a?b=1&c=d%20e", false, Outcome::redirect_login, 303,
         "/login?next=/a%3Fb%3D1%26c%3Dd%2520e"},
        {"anon_html_unsafe_target", RequestKind::html, "//evil.example", false, Outcome::redirect_login, 303, "/login"},
        {"anon_json", RequestKind::json, "/api/x", false, Outcome::unauthorized, 401, ""},
    };
    for (const auto& c : cases) {
        Decision d = login_required(c.kind, c.target, c.logged_in);
        EXPECT_EQ(d.outcome, c.outcome) << c.name;
        EXPECT_EQ(d.status(), c.status) << c.name;
        EXPECT_EQ(d.location, c.location) << c.name;
        if (!d.allowed()) {
            EXPECT_FALSE(d.reason.empty()) << c.name;
        }
    }
}

TEST(Decisions, FreshLoginRequired) {
    session::Session s;
    login_user(s, "42", Fresh::yes, 0, kNow);
    EXPECT_TRUE(fresh_login_required(RequestKind::html, "/account/password", s, 15min, kNow + 1min).allowed());
    Decision stale = fresh_login_required(RequestKind::html, "/account/password", s, 15min, kNow + 1h);
    EXPECT_EQ(stale.status(), 303);
    EXPECT_EQ(stale.location, "/login?next=/account/password");
    EXPECT_EQ(stale.reason, "fresh login required");
    session::Session anon;
    EXPECT_EQ(fresh_login_required(RequestKind::json, "/x", anon, 15min, kNow).status(), 401);
}

TEST(Decisions, RolesAndPermissions) {
    RoleModel model;
    model.grant("editor", {"post.edit", "post.create"}).grant("admin", {"user.delete"});
    const std::set<std::string> editor{"editor"};
    const std::set<std::string> none;
    const std::string_view need_both[] = {"editor", "admin"};
    const std::string_view need_editor[] = {"editor"};
    const struct {
        const char* name;
        Decision d;
        int status;
    } cases[] = {
        {"has_role", roles_required(editor, need_editor), 200},
        {"missing_one_of_all", roles_required(editor, need_both), 403},
        {"any_of", roles_required(editor, need_both, Match::any), 200},
        {"none_any", roles_required(none, need_both, Match::any), 403},
        {"hidden", roles_required(none, need_editor, Match::all, HideExistence::yes), 404},
        {"permission_granted", permission_required(model, editor, "post.edit"), 200},
        {"permission_missing", permission_required(model, editor, "user.delete"), 403},
        {"permission_hidden", permission_required(model, none, "post.edit", HideExistence::yes), 404},
        {"owner", require_owner("42", "42"), 200},
        {"not_owner_hidden", require_owner("42", "43"), 404},
        {"not_owner_forbidden", require_owner("42", "43", HideExistence::no), 403},
        {"anonymous_owner_empty", require_owner("", ""), 404},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(c.d.status(), c.status) << c.name;
        if (c.status != 200) {
            EXPECT_FALSE(c.d.reason.empty()) << c.name;
        }
    }
}

}  // namespace
}  // namespace bulwark::auth
