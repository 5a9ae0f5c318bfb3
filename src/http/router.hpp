// Router: method + path pattern -> handler. Static paths are one hash lookup; patterns with
// <name> segments are tried in the order they were added.
#pragma once

#include <bulwark/http.hpp>

#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bulwark {

struct RouteEntry {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "<id>" marks a parameter
    Handler handler;
    RouteOptions options;
};

struct RouteMatch {
    enum class Kind { found, not_found, method_not_allowed, options_default } kind = Kind::not_found;
    const RouteEntry* entry = nullptr;              // found
    const RouteOptions* options = nullptr;          // found, or options_default (the path's first route)
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;                              // method_not_allowed and options_default
};

class Router {
public:
    // add registers a route; a duplicate method+pattern or a malformed pattern throws at start.
    RouteEntry& add(std::string_view method, std::string_view pattern, Handler handler);
    RouteMatch match(std::string_view method, std::string_view path) const;
    const std::deque<RouteEntry>& entries() const noexcept { return entries_; }

private:
    // deque: RouteOptions handed out by reference must not move when routes are added.
    std::deque<RouteEntry> entries_;
    // Looked up by string_view: no copy of the path per request.
    struct PathHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, std::vector<const RouteEntry*>, PathHash, std::equal_to<>> static_paths_;
    std::vector<const RouteEntry*> pattern_routes_;
};

}  // namespace bulwark
