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
    // Candidates on this path, whatever their method.
    std::vector<std::pair<const RouteEntry*, std::vector<std::pair<std::string, std::string>>>>
        candidates;
    if (auto it = static_paths_.find(std::string(path)); it != static_paths_.end()) {
        for (const RouteEntry* e : it->second) candidates.emplace_back(e, std::vector<std::pair<std::string, std::string>>{});
    }
    if (!pattern_routes_.empty()) {
        const auto parts = split_path(path);
        for (const RouteEntry* e : pattern_routes_) {
            if (e->segments.size() != parts.size()) continue;
            std::vector<std::pair<std::string, std::string>> params;
            bool ok = true;
            for (std::size_t i = 0; i < parts.size() && ok; ++i) {
                const std::string& seg = e->segments[i];
                if (is_parameter(seg)) {
                    // A parameter matches one non-empty segment, never an encoded slash.
                    ok = !parts[i].empty() && parts[i].find("%2F") == std::string_view::npos &&
                         parts[i].find("%2f") == std::string_view::npos;
                    if (ok) params.emplace_back(seg.substr(1, seg.size() - 2), std::string(parts[i]));
                } else {
                    ok = seg == parts[i];
                }
            }
            if (ok) candidates.emplace_back(e, std::move(params));
        }
    }
    if (candidates.empty()) return result;

    const bool head = method == "HEAD";
    for (auto& [entry, params] : candidates) {
        if (entry->method == method) {
            result.kind = RouteMatch::Kind::found;
            result.entry = entry;
            result.options = &entry->options;
            result.params = std::move(params);
            return result;
        }
    }
    // HEAD is GET without a body (RFC 9110 §9.3.2).
    if (head) {
        for (auto& [entry, params] : candidates) {
            if (entry->method == "GET") {
                result.kind = RouteMatch::Kind::found;
                result.entry = entry;
                result.options = &entry->options;
                result.params = std::move(params);
                return result;
            }
        }
    }
    for (auto& [entry, params] : candidates) {
        append_allow(result.allow, entry->method);
        if (entry->method == "GET") append_allow(result.allow, "HEAD");
    }
    append_allow(result.allow, "OPTIONS");
    if (method == "OPTIONS") {
        result.kind = RouteMatch::Kind::options_default;
        result.options = &candidates.front().first->options;
        result.params = std::move(candidates.front().second);
        return result;
    }
    result.kind = RouteMatch::Kind::method_not_allowed;
    result.options = &candidates.front().first->options;
    return result;
}

}  // namespace bulwark
