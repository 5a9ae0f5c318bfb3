// Login state in the session: login, logout, freshness and the pending second factor.
#include <bulwark/auth.hpp>

namespace bulwark::auth {
namespace json = boost::json;

namespace {
constexpr std::string_view kAuth = "_auth";
constexpr std::string_view kPending = "_auth_pending";

std::int64_t to_ms(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

const json::object* object_at(const session::Session& s, std::string_view key) {
    const json::value* v = s.get(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

std::optional<std::int64_t> int_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (!v || !v->is_int64()) return std::nullopt;
    return v->as_int64();
}
}  // namespace

void login_user(session::Session& s, std::string_view user_id, Fresh fresh, std::int64_t epoch, TimePoint now) {
    s.erase(kPending);
    s.bind_user(user_id);
    s.rotate();  // also when the same user logs in again: a new id for every login
    s.set(kAuth, json::object{{"uid", json::string(user_id)},
                              {"at", to_ms(now)},
                              {"fresh", fresh == Fresh::yes},
                              {"ep", epoch}});
}

void logout_user(session::Session& s) { s.destroy(); }

std::string current_user_id(const session::Session& s) {
    const json::object* a = object_at(s, kAuth);
    if (!a) return {};
    const json::value* uid = a->if_contains("uid");
    if (!uid || !uid->is_string() || uid->as_string().empty()) return {};
    std::string id(uid->as_string());
    // The session's own binding must agree: data copied into another user's session (or a
    // session bound by someone else) never counts as a login.
    if (id != s.user_id()) return {};
    return id;
}

std::int64_t auth_epoch(const session::Session& s) {
    const json::object* a = object_at(s, kAuth);
    return a ? int_at(*a, "ep").value_or(0) : 0;
}

bool is_fresh(const session::Session& s, std::chrono::seconds max_age, TimePoint now) {
    if (current_user_id(s).empty()) return false;
    const json::object* a = object_at(s, kAuth);
    const json::value* fresh = a->if_contains("fresh");
    if (!fresh || !fresh->is_bool() || !fresh->as_bool()) return false;
    const auto at = int_at(*a, "at");
    if (!at) return false;
    const std::int64_t age = to_ms(now) - *at;
    return age >= 0 && age < std::chrono::duration_cast<std::chrono::milliseconds>(max_age).count();
}

void mark_fresh(session::Session& s, TimePoint now) {
    if (current_user_id(s).empty()) return;
    json::object a = s.get(kAuth)->as_object();
    a["fresh"] = true;
    a["at"] = to_ms(now);
    s.set(kAuth, std::move(a));
    s.rotate();  // privilege change
}

void begin_second_factor(session::Session& s, std::string_view user_id, Remember remember,
                         std::chrono::seconds ttl, TimePoint now) {
    s.erase(kAuth);
    s.bind_user({});
    s.rotate();
    s.set(kPending, json::object{{"uid", json::string(user_id)},
                                 {"exp", to_ms(now + ttl)},
                                 {"rm", remember == Remember::yes}});
}

std::optional<Pending> pending_second_factor(session::Session& s, TimePoint now) {
    const json::object* p = object_at(s, kPending);
    if (!p) return std::nullopt;
    const json::value* uid = p->if_contains("uid");
    const auto exp = int_at(*p, "exp");
    const json::value* rm = p->if_contains("rm");
    if (!uid || !uid->is_string() || uid->as_string().empty() || !exp || to_ms(now) >= *exp) {
        s.erase(kPending);
        return std::nullopt;
    }
    return Pending{std::string(uid->as_string()),
                   rm && rm->is_bool() && rm->as_bool() ? Remember::yes : Remember::no};
}

std::optional<Pending> complete_second_factor(session::Session& s, std::int64_t epoch, TimePoint now) {
    auto pending = pending_second_factor(s, now);
    if (!pending) return std::nullopt;
    login_user(s, pending->user_id, Fresh::yes, epoch, now);
    return pending;
}

}  // namespace bulwark::auth
