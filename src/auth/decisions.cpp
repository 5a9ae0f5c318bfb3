// Pure authorization decisions: login required, freshness, roles, permissions, ownership.
#include <bulwark/auth.hpp>

namespace bulwark::auth {

namespace {
// encode_component percent-encodes everything but RFC 3986 unreserved characters and '/',
// so the path survives as one query value.
std::string encode_component(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (keep) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

Decision deny(HideExistence hide, std::string reason) {
    return {hide == HideExistence::yes ? Outcome::not_found : Outcome::forbidden, {}, std::move(reason)};
}
}  // namespace

int Decision::status() const noexcept {
    switch (outcome) {
        case Outcome::allow: return 200;
        case Outcome::redirect_login: return 303;
        case Outcome::unauthorized: return 401;
        case Outcome::forbidden: return 403;
        case Outcome::not_found: return 404;
    }
    return 403;
}

Decision login_required(RequestKind kind, std::string_view path_and_query, bool logged_in,
                        std::string_view login_path) {
    if (logged_in) return {};
    if (kind == RequestKind::json) return {Outcome::unauthorized, {}, "login required"};
    std::string location(login_path);
    if (auto next = safe_next(path_and_query)) location += "?next=" + encode_component(*next);
    return {Outcome::redirect_login, std::move(location), "login required"};
}

Decision fresh_login_required(RequestKind kind, std::string_view path_and_query, const session::Session& s,
                              std::chrono::seconds max_age, TimePoint now, std::string_view login_path) {
    Decision d = login_required(kind, path_and_query, !current_user_id(s).empty(), login_path);
    if (!d.allowed()) return d;
    if (is_fresh(s, max_age, now)) return d;
    d = login_required(kind, path_and_query, false, login_path);
    d.reason = "fresh login required";
    return d;
}

RoleModel& RoleModel::grant(std::string role, std::vector<std::string> permissions) {
    auto& set = grants_[std::move(role)];
    for (auto& p : permissions) set.insert(std::move(p));
    return *this;
}

bool RoleModel::has_permission(const std::set<std::string>& user_roles, std::string_view permission) const {
    for (const std::string& role : user_roles) {
        auto it = grants_.find(role);
        if (it != grants_.end() && it->second.count(std::string(permission))) return true;
    }
    return false;
}

Decision roles_required(const std::set<std::string>& user_roles, std::span<const std::string_view> required,
                        Match match, HideExistence hide) {
    if (required.empty()) return {};
    std::string missing;
    bool any = false;
    for (std::string_view role : required) {
        if (user_roles.count(std::string(role))) {
            any = true;
        } else if (missing.empty()) {
            missing.assign(role);
        }
    }
    if (match == Match::all && missing.empty()) return {};
    if (match == Match::any && any) return {};
    return deny(hide, match == Match::all ? "missing role " + missing : "none of the required roles");
}

Decision permission_required(const RoleModel& model, const std::set<std::string>& user_roles,
                             std::string_view permission, HideExistence hide) {
    if (model.has_permission(user_roles, permission)) return {};
    return deny(hide, "missing permission " + std::string(permission));
}

Decision require_owner(std::string_view resource_owner_id, std::string_view current_user_id, HideExistence hide) {
    if (!current_user_id.empty() && !resource_owner_id.empty() && resource_owner_id == current_user_id) return {};
    return deny(hide, "not the owner of the resource");
}

}  // namespace bulwark::auth
