// events.cpp: the names and levels of the OWASP Logging Vocabulary, one row per Event.
// https://cheatsheetseries.owasp.org/cheatsheets/Logging_Vocabulary_Cheat_Sheet.html
#include <bulwark/audit.hpp>

namespace bulwark::audit {
namespace {

struct EventInfo {
    std::string_view name;
    Level level;
    bool owasp;
};

// upload_validation is INFO|CRITICAL in the vocabulary; we log it for failures only (a
// passed upload shows as upload_stored), so it is CRITICAL here.
constexpr std::array<EventInfo, kEventCount> kEvents{{
    {"authn_login_success", Level::info, true},
    {"authn_login_successafterfail", Level::info, true},
    {"authn_login_fail", Level::warn, true},
    {"authn_login_fail_max", Level::warn, true},
    {"authn_login_lock", Level::warn, true},
    {"authn_password_change", Level::info, true},
    {"authn_password_change_fail", Level::critical, true},
    {"authn_password_reset_request", Level::info, false},
    {"authn_impossible_travel", Level::critical, true},
    {"authn_token_created", Level::info, true},
    {"authn_token_revoked", Level::info, true},
    {"authn_token_reuse", Level::critical, true},
    {"authn_token_delete", Level::warn, true},
    {"authz_fail", Level::critical, true},
    {"authz_change", Level::warn, true},
    {"authz_admin", Level::warn, true},
    {"crypt_decrypt_fail", Level::warn, true},
    {"crypt_encrypt_fail", Level::warn, true},
    {"excess_rate_limit_exceeded", Level::warn, true},
    {"upload_complete", Level::info, true},
    {"upload_stored", Level::info, true},
    {"upload_validation", Level::critical, true},
    {"upload_delete", Level::info, true},
    {"input_validation_fail", Level::warn, true},
    {"input_validation_discrete_fail", Level::warn, true},
    {"malicious_excess_404", Level::warn, true},
    {"malicious_extraneous", Level::critical, true},
    {"malicious_attack_tool", Level::critical, true},
    {"malicious_cors", Level::critical, true},
    {"malicious_csrf", Level::warn, false},
    {"malicious_direct_reference", Level::critical, true},
    {"privilege_permissions_changed", Level::warn, true},
    {"sensitive_create", Level::warn, true},
    {"sensitive_read", Level::warn, true},
    {"sensitive_update", Level::warn, true},
    {"sensitive_delete", Level::warn, true},
    {"sequence_fail", Level::critical, true},
    {"session_created", Level::info, true},
    {"session_renewed", Level::info, true},
    {"session_expired", Level::info, true},
    {"session_use_after_expire", Level::critical, true},
    {"sys_startup", Level::warn, true},
    {"sys_shutdown", Level::warn, true},
    {"sys_restart", Level::warn, true},
    {"sys_crash", Level::warn, true},
    {"sys_monitor_disabled", Level::warn, true},
    {"sys_monitor_enabled", Level::warn, true},
    {"user_created", Level::warn, true},
    {"user_updated", Level::warn, true},
    {"user_archived", Level::warn, true},
    {"user_deleted", Level::warn, true},}};

constexpr bool names_in_enum_order() {
    // A row added in the wrong place would give an event another's name; the test checks
    // each name against the enum, this checks the table is full.
    for (const auto& e : kEvents)
        if (e.name.empty()) return false;
    return true;
}
static_assert(names_in_enum_order(), "every Event needs a row in kEvents");

const EventInfo& info(Event e) noexcept {
    auto i = static_cast<std::size_t>(e);
    return kEvents[i < kEventCount ? i : static_cast<std::size_t>(Event::sys_crash)];
}

}  // namespace

std::string_view event_name(Event e) noexcept { return info(e).name; }
Level event_level(Event e) noexcept { return info(e).level; }
bool is_owasp(Event e) noexcept { return info(e).owasp; }

std::optional<Event> event_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kEventCount; ++i)
        if (kEvents[i].name == name) return static_cast<Event>(i);
    return std::nullopt;
}

std::string_view level_name(Level l) noexcept {
    switch (l) {
        case Level::info: return "INFO";
        case Level::warn: return "WARN";
        case Level::critical: return "CRITICAL";
    }
    return "CRITICAL";
}

std::string_view sink_error_name(SinkError e) noexcept {
    switch (e) {
        case SinkError::open_failed: return "open_failed";
        case SinkError::not_reopenable: return "not_reopenable";
    }
    return "unknown";
}

}  // namespace bulwark::audit
