#include "router.hpp"

#include <algorithm>
#include <stdexcept>

namespace bulwark {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    if (path.empty() || path[0] != '/') return parts;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool is_parameter(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

void append_allow(std::string& allow, std::string_view method) {
    if (allow.find(method) != std::string::npos) return;
    if (!allow.empty()) allow += ", ";
    allow += method;
}

// fits tells whether a pattern route matches the path's segments. A parameter matches one
// non-empty segment, never an encoded slash.
bool fits(const RouteEntry& e, const std::vector<std::string_view>& parts) {
    if (e.segments.size() != parts.size()) return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& seg = e.segments[i];
        if (is_parameter(seg)) {
            if (parts[i].empty() || parts[i].find("%2F") != std::string_view::npos ||
                parts[i].find("%2f") != std::string_view::npos)
                return false;
        } else if (seg != parts[i]) {
            return false;
        }
    }
    return true;
}

// params_of copies the parameters of the route that answers (none for a static route).
std::vector<std::pair<std::string, std::string>> params_of(const RouteEntry& e,
                                                           const std::vector<std::string_view>& parts) {
    std::vector<std::pair<std::string, std::string>> params;
    if (e.segments.size() != parts.size()) return params;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& seg = e.segments[i];
        if (is_parameter(seg)) params.emplace_back(seg.substr(1, seg.size() - 2), std::string(parts[i]));
    }
    return params;
}

}  // namespace

RouteEntry& Router::add(std::string_view method, std::string_view pattern, Handler handler) {
    if (pattern.empty() || pattern[0] != '/')
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    for (const auto& e : entries_)
        if (e.method == method && e.pattern == pattern)
            throw std::invalid_argument("route defined twice: " + std::string(method) + " " +
                                        std::string(pattern));
    RouteEntry& entry = entries_.emplace_back();
    entry.method = std::string(method);
    entry.pattern = std::string(pattern);
    entry.handler = std::move(handler);
    entry.options.name = entry.method + " " + entry.pattern;
    bool has_parameter = false;
    for (auto segment : split_path(pattern)) {
        if (segment.find('<') != std::string_view::npos && !is_parameter(segment))
            throw std::invalid_argument("malformed route parameter in " + std::string(pattern));
        has_parameter = has_parameter || is_parameter(segment);
        entry.segments.emplace_back(segment);
    }
    if (has_parameter) {
        pattern_routes_.push_back(&entry);
    } else {
        static_paths_[entry.pattern].push_back(&entry);
    }
    return entry;
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch result;
    // Candidates on this path, whatever their method: the static routes of the path, then the
    // patterns that fit it. Nothing is copied until the one that answers is known; this runs
    // on every request.
    const std::vector<const RouteEntry*>* static_hits = nullptr;
    if (auto it = static_paths_.find(path); it != static_paths_.end()) static_hits = &it->second;
    const bool has_patterns = !pattern_routes_.empty();
    std::vector<std::string_view> parts;
    if (has_patterns) parts = split_path(path);
    auto for_each_candidate = [&](auto&& visit) {
        if (static_hits != nullptr)
            for (const RouteEntry* e : *static_hits)
                if (visit(e)) return;
        if (has_patterns)
            for (const RouteEntry* e : pattern_routes_)
                if (fits(*e, parts) && visit(e)) return;
    };
    const RouteEntry* first = nullptr;
    const RouteEntry* chosen = nullptr;
    const RouteEntry* get_route = nullptr;
    for_each_candidate([&](const RouteEntry* e) {
        if (first == nullptr) first = e;
        if (e->method == method) {
            chosen = e;
            return true;
        }
        if (get_route == nullptr && e->method == "GET") get_route = e;
        return false;
    });
    if (first == nullptr) return result;
    // HEAD is GET without a body (RFC 9110 §9.3.2).
    if (chosen == nullptr && method == "HEAD") chosen = get_route;
    if (chosen != nullptr) {
        result.kind = RouteMatch::Kind::found;
        result.entry = chosen;
        result.options = &chosen->options;
        result.params = params_of(*chosen, parts);
        return result;
    }
    for_each_candidate([&](const RouteEntry* e) {
        append_allow(result.allow, e->method);
        if (e->method == "GET") append_allow(result.allow, "HEAD");
        return false;
    });
    append_allow(result.allow, "OPTIONS");
    result.options = &first->options;
    if (method == "OPTIONS") {
        result.kind = RouteMatch::Kind::options_default;
        result.params = params_of(*first, parts);
        return result;
    }
    result.kind = RouteMatch::Kind::method_not_allowed;
    return result;
}

}  // namespace bulwark
