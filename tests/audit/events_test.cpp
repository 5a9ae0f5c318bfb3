// events_test.cpp: the event table against the OWASP Logging Vocabulary.
#include <bulwark/audit.hpp>

#include <gtest/gtest.h>

#include <set>

namespace audit = bulwark::audit;
using audit::Event;
using audit::Level;

namespace {

struct EventCase {
    Event event;
    std::string_view name;
    Level level;
    bool owasp;
};

// Levels as the cheat sheet gives them, for the events the framework logs most.
const EventCase kCases[] = {
    {Event::authn_login_success, "authn_login_success", Level::info, true},
    {Event::authn_login_successafterfail, "authn_login_successafterfail", Level::info, true},
    {Event::authn_login_fail, "authn_login_fail", Level::warn, true},
    {Event::authn_login_fail_max, "authn_login_fail_max", Level::warn, true},
    {Event::authn_login_lock, "authn_login_lock", Level::warn, true},
    {Event::authn_password_change, "authn_password_change", Level::info, true},
    {Event::authn_password_change_fail, "authn_password_change_fail", Level::critical, true},
    {Event::authn_password_reset_request, "authn_password_reset_request", Level::info, false},
    {Event::authn_token_created, "authn_token_created", Level::info, true},
    {Event::authn_token_revoked, "authn_token_revoked", Level::info, true},
    {Event::authn_token_reuse, "authn_token_reuse", Level::critical, true},
    {Event::authn_token_delete, "authn_token_delete", Level::warn, true},
    {Event::authz_fail, "authz_fail", Level::critical, true},
    {Event::authz_admin, "authz_admin", Level::warn, true},
    {Event::excess_rate_limit_exceeded, "excess_rate_limit_exceeded", Level::warn, true},
    {Event::input_validation_fail, "input_validation_fail", Level::warn, true},
    {Event::malicious_excess_404, "malicious_excess_404", Level::warn, true},
    {Event::malicious_cors, "malicious_cors", Level::critical, true},
    {Event::malicious_csrf, "malicious_csrf", Level::warn, false},
    {Event::malicious_direct_reference, "malicious_direct_reference", Level::critical, true},
    {Event::privilege_permissions_changed, "privilege_permissions_changed", Level::warn, true},
    {Event::session_created, "session_created", Level::info, true},
    {Event::session_expired, "session_expired", Level::info, true},
    {Event::session_use_after_expire, "session_use_after_expire", Level::critical, true},
    {Event::upload_complete, "upload_complete", Level::info, true},
    {Event::upload_validation, "upload_validation", Level::critical, true},
    {Event::sys_startup, "sys_startup", Level::warn, true},
    {Event::sys_crash, "sys_crash", Level::warn, true},
    {Event::user_created, "user_created", Level::warn, true},
    {Event::user_deleted, "user_deleted", Level::warn, true},
};

}  // namespace

TEST(AuditEvents, NamesLevelsAndOrigin) {
    for (const auto& c : kCases) {
        SCOPED_TRACE(std::string(c.name));
        EXPECT_EQ(audit::event_name(c.event), c.name);
        EXPECT_EQ(audit::event_level(c.event), c.level);
        EXPECT_EQ(audit::is_owasp(c.event), c.owasp);
        EXPECT_EQ(audit::event_from_name(c.name), c.event);
    }
}

TEST(AuditEvents, EveryNameIsUniqueLowerSnakeAndRoundTrips) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < audit::kEventCount; ++i) {
        const auto e = static_cast<Event>(i);
        const auto name = audit::event_name(e);
        ASSERT_FALSE(name.empty()) << i;
        EXPECT_TRUE(seen.insert(name).second) << name;
        for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << name;
        EXPECT_EQ(audit::event_from_name(name), e);
    }
    EXPECT_EQ(audit::event_from_name("AUTHN_LOGIN_FAIL"), std::nullopt);
    EXPECT_EQ(audit::event_from_name(""), std::nullopt);
}

TEST(AuditEvents, LevelNames) {
    EXPECT_EQ(audit::level_name(Level::info), "INFO");
    EXPECT_EQ(audit::level_name(Level::warn), "WARN");
    EXPECT_EQ(audit::level_name(Level::critical), "CRITICAL");
}
