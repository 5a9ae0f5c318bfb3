// Policy compilation (all checks at start) and the per-request decision.
#include <bulwark/cors.hpp>

#include <algorithm>

namespace bulwark::cors {
namespace {

constexpr std::size_t kMaxOriginHeader = 1024;

bool is_token(std::string_view s) {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      kExtra.find(c) != std::string_view::npos;
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

// names checks a list of methods or header names: tokens, and never "*" (which would be a
// wildcard without credentials and a literal with them: exactly the allowed set, always).
void check_names(const std::string& where, const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (n == "*" || !is_token(n)) throw ConfigError("CORS " + where + ": '" + n + "' is not allowed here");
}

std::string normal_prefix(std::string prefix) {
    if (prefix.empty() || prefix.front() != '/') throw ConfigError("CORS: path prefix '" + prefix + "' must start with '/'");
    while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
    return prefix;
}

bool covers(std::string_view prefix, std::string_view path) {
    if (prefix == "/") return true;
    return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

Cors::Cors(std::vector<Policy> policies) {
    for (auto& p : policies) {
        Compiled c;
        c.prefix = normal_prefix(p.path_prefix);
        const std::string where = "(" + c.prefix + ")";
        for (const auto& o : p.origins) {
            if (o == "*") {
                // Fetch §3.2.5: a credentialed response may not use "*"; refusing it here keeps an
                // app from "fixing" that by reflecting every origin instead.
                if (p.allow_credentials) throw ConfigError("CORS " + where + ": '*' cannot be used with credentials");
                c.any_origin = true;
            } else if (o == "null") {
                c.null_origin = true;
            } else if (auto pattern = OriginPattern::parse(o)) {
                c.origins.push_back(std::move(*pattern));
            } else {
                throw ConfigError("CORS " + where + ": '" + o +
                                  "' is not an origin (scheme://host[:port], lower case, no path, no default port) "
                                  "or a pattern scheme://*.domain.tld");
            }
        }
        if (c.any_origin && p.origins.size() > 1)
            throw ConfigError("CORS " + where + ": '*' must be the only origin");
        check_names(where + " methods", p.methods);
        check_names(where + " allow_headers", p.allow_headers);
        check_names(where + " expose_headers", p.expose_headers);
        if (p.max_age.count() < 0 || p.max_age.count() > 86400)
            throw ConfigError("CORS " + where + ": max_age must be within 0..86400 seconds");
        for (const auto& other : policies_)
            if (other.prefix == c.prefix) throw ConfigError("CORS " + where + ": two policies for one path prefix");
        c.credentials = p.allow_credentials;
        c.methods = p.methods;
        for (const auto& h : p.allow_headers) c.headers_lower.push_back(lower(h));
        c.methods_value = join(p.methods);
        c.headers_value = join(p.allow_headers);
        c.expose_value = join(p.expose_headers);
        c.max_age_value = std::to_string(p.max_age.count());
        policies_.push_back(std::move(c));
    }
}

Decision Cors::evaluate(std::string_view path, std::string_view method, std::optional<std::string_view> origin,
                        std::optional<std::string_view> request_method,
                        std::optional<std::string_view> request_headers) const {
    Decision d;
    const Compiled* policy = nullptr;
    for (const auto& c : policies_)
        if (covers(c.prefix, path) && (!policy || c.prefix.size() > policy->prefix.size())) policy = &c;
    if (!policy) return d;
    d.matched = true;
    d.is_preflight = method == "OPTIONS" && request_method.has_value();
    if (d.is_preflight) {
        d.status = 204;
        d.headers.emplace_back("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    } else {
        d.headers.emplace_back("Vary", "Origin");
    }
    if (!origin || origin->empty() || origin->size() > kMaxOriginHeader) return d;

    const bool is_null = *origin == "null";
    const bool origin_ok = is_null ? policy->null_origin
                                   : policy->any_origin || std::any_of(policy->origins.begin(), policy->origins.end(),
                                                                       [&](const OriginPattern& p) { return p.matches(*origin); });
    if (!origin_ok) return d;

    if (d.is_preflight) {
        // Methods are case-sensitive (Fetch normalises only the standard ones to upper case).
        if (std::find(policy->methods.begin(), policy->methods.end(), *request_method) == policy->methods.end())
            return d;
        if (request_headers) {
            const auto names = parse_header_list(*request_headers);
            if (!names) return d;
            for (const auto& n : *names)
                if (std::find(policy->headers_lower.begin(), policy->headers_lower.end(), n) == policy->headers_lower.end())
                    return d;
        }
    }
    d.allowed = true;
    // With "*" the answer is "*" (never a reflected origin); otherwise the one origin that matched.
    d.headers.emplace_back("Access-Control-Allow-Origin", policy->any_origin && !is_null ? std::string("*") : std::string(*origin));
    if (policy->credentials) d.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    if (d.is_preflight) {
        d.headers.emplace_back("Access-Control-Allow-Methods", policy->methods_value);
        if (!policy->headers_value.empty()) d.headers.emplace_back("Access-Control-Allow-Headers", policy->headers_value);
        d.headers.emplace_back("Access-Control-Max-Age", policy->max_age_value);
    } else if (!policy->expose_value.empty()) {
        d.headers.emplace_back("Access-Control-Expose-Headers", policy->expose_value);
    }
    return d;
}

}  // namespace bulwark::cors
