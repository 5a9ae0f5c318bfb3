// bulwark/cors.hpp: Cross-Origin Resource Sharing (the Fetch standard's CORS protocol), sans-I/O.
//
// What it does: decides, per request, which Access-Control-* headers to send, and answers
// preflights. CORS only ever relaxes the browser's same-origin policy, so every rule here
// errs towards sending nothing: an origin that is not allowed gets no CORS header at all,
// and the browser keeps the response from the page.
//
// Security model (Fetch §3.2; OWASP HTML5 Security Cheat Sheet; PortSwigger's CORS attacks):
//  - origins are exact strings, or patterns "scheme://*.example.com[:port]" whose `*` matches
//    exactly one DNS label: never "evil-example.com", "example.com.evil.test", nor a.b.example.com;
//    scheme and port are compared exactly;
//  - `null` (sandboxed frames, file:, data:) is refused unless listed literally;
//  - `*` with credentials is a configuration error, thrown when the app starts;
//  - a preflight is answered 204 with exactly the configured methods and headers, and only if
//    the requested method and every requested header are allowed;
//  - `Vary: Origin` is on every answer of a matched path, so caches never mix origins.
// It trusts nothing in the request; the policies are the app's configuration.
//
//     bulwark::cors::Cors cors(std::vector<bulwark::cors::Policy>{{.path_prefix = "/api", .origins = {"https://app.example.com"},
//                                .methods = {"GET", "POST"}, .allow_headers = {"Content-Type"}}});
//     auto d = cors.evaluate(path, method, origin, acr_method, acr_headers);
//     if (d.is_preflight) return respond(d.status, d.headers);   // 204, nothing else runs
//     ... handler ...; add d.headers to the response
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::cors {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// ConfigError: a policy that would allow more than it says (thrown by Cors's constructor).
class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Policy: CORS for every path under path_prefix ("/api" covers /api and /api/..., not /apix).
struct Policy {
    std::string path_prefix = "/";
    // origins: "https://app.example.com", "https://*.example.com", "null", or "*" alone.
    std::vector<std::string> origins{};
    std::vector<std::string> methods = {"GET", "HEAD", "POST"};
    std::vector<std::string> allow_headers{};  // request headers a preflight may ask for
    std::vector<std::string> expose_headers{}; // response headers the page may read
    bool allow_credentials = false;
    std::chrono::seconds max_age{600};        // preflight cache; at most 86400
};

// Decision: what the HTTP layer does with one request.
struct Decision {
    bool matched = false;       // a policy covers this path
    bool is_preflight = false;  // answer now with `status` and `headers`; run no handler
    bool allowed = false;       // the origin (and for a preflight, method and headers) passed
    int status = 0;             // 204 for a preflight, else 0 (the handler decides)
    HeaderList headers;         // add to the response (append to any Vary already there)
};

// OriginPattern: one configured origin, exact or "scheme://*.domain[:port]".
class OriginPattern {
public:
    // parse reads a configured origin; nullopt when it is not one this module accepts.
    static std::optional<OriginPattern> parse(std::string_view configured);
    // matches compares a request's Origin header value (must be in serialised form).
    bool matches(std::string_view untrusted_origin) const noexcept;

private:
    std::string scheme_;
    std::string host_;  // exact host, or the suffix ".example.com" for a wildcard
    std::string port_;  // "" for the default port
    bool wildcard_ = false;
};

// kMaxHeaderList bounds Access-Control-Request-Headers (bytes, and names).
inline constexpr std::size_t kMaxHeaderListBytes = 4096;
inline constexpr std::size_t kMaxHeaderListNames = 64;
// parse_header_list splits a comma-separated list of field names into lower case, skipping
// empty elements (RFC 9110 §5.6.1); nullopt when over the limits or an item is not a token.
std::optional<std::vector<std::string>> parse_header_list(std::string_view untrusted_list);

// Cors holds the compiled policies. Thread-safe after construction (immutable).
class Cors {
public:
    // Throws ConfigError: "*" with credentials or beside other origins, a malformed origin or
    // pattern, "*" as a method or header, a non-token name, a prefix not starting with '/',
    // two policies for one prefix, max_age outside 0..86400.
    explicit Cors(std::vector<Policy> policies);

    // evaluate decides for one request; the policy with the longest matching prefix applies.
    // Never throws.
    Decision evaluate(std::string_view path, std::string_view method,
                      std::optional<std::string_view> origin,
                      std::optional<std::string_view> access_control_request_method = std::nullopt,
                      std::optional<std::string_view> access_control_request_headers = std::nullopt) const;

    struct Compiled;  // private detail, public only so the implementation file can define it

private:
    std::vector<Compiled> policies_;
};

struct Cors::Compiled {
    std::string prefix;
    std::vector<OriginPattern> origins;
    bool any_origin = false;
    bool null_origin = false;
    bool credentials = false;
    std::vector<std::string> methods;
    std::vector<std::string> headers_lower;
    std::string methods_value, headers_value, expose_value, max_age_value;
};

}  // namespace bulwark::cors
