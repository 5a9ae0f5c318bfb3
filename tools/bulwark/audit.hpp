// `bulwark audit URL`: checks a running site against the security checklist from outside, as an
// attacker's browser would see it, and grades it. Three layers, as the server is split:
//   - audit_parse.cpp: tolerant, size-limited parsers for what the site sends back
//     (Set-Cookie, Content-Security-Policy, Strict-Transport-Security, HTML forms). They never
//     throw on garbage: a value they cannot read is "absent", and the check says so;
//   - audit_checks.cpp: the checks, pure functions from the captured responses (Observed) to
//     findings, so every rule is table-tested without a socket;
//   - audit.cpp: the probes over libcurl (timeouts, bounded bodies, a fixed request budget) and
//     the printed report.
//
// Security model: the site is untrusted. Every byte read is bounded (kMaxBody, kMaxHeaderBytes),
// everything echoed into the report is cut and made printable (no terminal escapes), and a cookie
// value (a session id) is never printed. The audit sends at most kMaxRequests requests, so it
// cannot flood a site; the login probe uses a random, non-existent username, so no real account
// is ever locked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::cli::audit {

inline constexpr std::size_t kMaxBody = 1024 * 1024;  // bytes of a body read; the rest is dropped
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // bytes of a response head kept
inline constexpr std::size_t kMaxHeaderValue =
    8 * 1024;                                      // a longer header value is cut before parsing
inline constexpr std::size_t kMaxDirectives = 64;  // CSP directives read (the rest ignored)
inline constexpr std::size_t kMaxSources = 64;     // sources per CSP directive
inline constexpr std::size_t kMaxCookieAttributes = 32;
inline constexpr std::size_t kMaxForms = 32;
inline constexpr std::size_t kMaxFormInputs = 128;
inline constexpr std::size_t kMaxAttributeValue = 4096;
inline constexpr int kMaxLoginAttempts = 15;  // bad logins sent before "no rate limit"
inline constexpr int kMaxRequests = 24;       // every request of one audit, in all

// --- parsers (audit_parse.cpp) ---------------------------------------------------------------

// SetCookie: one Set-Cookie header, attributes by their RFC 6265bis meaning.
struct SetCookie {
    std::string name;
    std::string value;  // a secret (session id): never print it
    bool secure = false;
    bool http_only = false;
    std::optional<std::string> same_site;  // lower case: "strict", "lax", "none", or what was sent
    std::optional<std::string> path;
    bool has_domain = false;
};
// parse_set_cookie reads one Set-Cookie value; nullopt when it has no name=value pair.
std::optional<SetCookie> parse_set_cookie(std::string_view untrusted_value);

// CspPolicy: directive names lower-cased, in order, first occurrence wins (as browsers do);
// keyword sources ('self', 'none', ...) lower-cased, host sources kept.
using CspPolicy = std::vector<std::pair<std::string, std::vector<std::string>>>;
CspPolicy parse_csp(std::string_view untrusted_value);
// csp_sources returns a directive's sources, or nullptr when the policy lacks it.
const std::vector<std::string>* csp_sources(const CspPolicy& policy, std::string_view directive);

struct Hsts {
    std::optional<std::int64_t> max_age;  // nullopt: missing or not a number
    bool include_subdomains = false;
    bool preload = false;
};
Hsts parse_hsts(std::string_view untrusted_value);

// Form: one <form>, with its hidden inputs (name, value) and the names of its other inputs.
struct Form {
    std::string method;  // lower case; "get" when absent
    std::string action;
    std::vector<std::pair<std::string, std::string>> hidden;
    std::vector<std::string> fields;
};
// find_forms scans at most kMaxBody bytes of HTML for forms; unclosed tags and stray bytes are
// skipped, never fatal.
std::vector<Form> find_forms(std::string_view untrusted_html);

// printable: control and non-ASCII bytes as '?', cut to `max` characters with "..." after.
std::string printable(std::string_view untrusted, std::size_t max = 80);
std::string lower(std::string_view text);

// --- captured responses and checks (audit_checks.cpp) -----------------------------------------

// Response: one reply as it arrived (no redirect followed). status 0: no reply; `error` says why.
struct Response {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
    std::string body;
    std::string error;
    bool sent = false;  // false: the probe was not made (budget, or not applicable)

    std::optional<std::string_view> header(std::string_view lower_name) const;
    std::vector<std::string_view> all(std::string_view lower_name) const;
};

// Observed: everything the probes saw; the checks read only this.
struct Observed {
    bool https = true;                 // the audited URL's scheme
    std::string host;                  // lower case, without port
    std::string http_url;              // where the redirect probe went
    Response home;                     // GET URL
    Response plain_http;               // GET http_url
    Response login_page;               // GET login path
    Response register_page;            // GET register path
    Response post_no_token;            // POST login path without the CSRF token
    Response not_found;                // GET a random path that cannot exist
    Response malformed;                // a request with an invalid method token
    std::vector<long> login_statuses;  // the bad logins, in order (stops at the first 429)
    std::string login_skipped;         // why the login probe did not run, when it did not
    std::string cookie_name;           // --cookie, or empty: the first whose name has "session"
    std::string csrf_field;  // --csrf-field, or empty: any hidden field named like a token
};

enum class Status { pass, warn, fail };
std::string_view status_name(Status s) noexcept;  // "PASS", "WARN", "FAIL"

struct Finding {
    std::string check;  // stable name: "hsts", "csp-script", ...
    Status status = Status::pass;
    std::string reason;  // one line, printable
};

// check_names: every check, in report order.
const std::vector<std::string_view>& check_names();
// evaluate runs every check on what was observed, one Finding per check, in check_names order.
std::vector<Finding> evaluate(const Observed& observed);
// grade: A no warning or failure; B at most two warnings; C more; F any failure.
char grade(const std::vector<Finding>& findings);

// csrf_token_of returns the hidden token field of a form: the one named `field`, or when that is
// empty the first hidden input whose name has "csrf", "xsrf" or "token" in it.
std::optional<std::pair<std::string, std::string>> csrf_token_of(const Form& form,
                                                                 std::string_view field);

// session_cookie picks the cookie the cookie check judges (see Observed::cookie_name).
std::optional<SetCookie> session_cookie(const Observed& observed);

// leak_in names the first stack trace, framework or version marker in an error page or header
// value (e.g. "Traceback", "std::", "nginx/1.25"), or nullopt.
std::optional<std::string> leak_in(std::string_view untrusted_text);

}  // namespace bulwark::cli::audit
