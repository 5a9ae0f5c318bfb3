// bulwark/headers.hpp: secure response headers (the Talisman equivalent), CSP nonces,
// HTTPS redirects and CSP violation reports, sans-I/O.
//
// What it protects against: XSS (a strict, nonce-based Content-Security-Policy), clickjacking
// (frame-ancestors, X-Frame-Options), MIME sniffing, referrer leaks, cross-origin window and
// resource attacks (COOP, CORP), SSL stripping (HSTS and the HTTPS redirect), cached private
// pages (Cache-Control: no-store when logged in), and leftovers after logout (Clear-Site-Data).
// Values follow the OWASP Secure Headers Project and HTTP Headers Cheat Sheet.
//
// Security model: every policy string is checked at start (validate_policy throws ConfigError
// on CR, LF or control characters, so no header can be split). A nonce is 128 random bits from
// crypto, fresh per response. The HTTPS redirect builds its Location only from a Host that
// passes strict syntax (and the allowlist when one is given), never echoing anything else.
// Report parsing is bounded (size, depth, count) and its output is sanitised for the log.
//
//     headers::Policy policy;                                  // secure defaults
//     headers::validate_policy(policy);                        // at start
//     auto nonce = headers::make_nonce();                      // per response, give it to templates
//     for (auto& [name, value] : headers::compute(policy, {.nonce = nonce, .is_https = true}))
//         response.set(name, value);
#pragma once

#include <bulwark/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::headers {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// ConfigError: a policy that would emit a broken or dangerous header (thrown at start only).
class ConfigError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// kNonceSource is the placeholder source in a Csp that renders as 'nonce-<value>'.
inline constexpr std::string_view kNonceSource = "'nonce'";

enum class CspMode { enforce, report_only };

// Csp builds a Content-Security-Policy. Directives keep their insertion order. set/add throw
// ConfigError for a directive name outside [a-z-] or a source containing ';', ',', whitespace
// or control characters. Not thread-safe to mutate; const use is.
class Csp {
public:
    // strict is the default: default-src 'self'; script-src 'nonce' 'strict-dynamic';
    // style-src 'self' 'nonce'; object-src 'none'; base-uri 'self'; frame-ancestors 'self';
    // form-action 'self'.
    static Csp strict();

    Csp& set(std::string_view directive, std::vector<std::string> sources);  // replace
    Csp& add(std::string_view directive, std::string_view source);           // append one
    Csp& remove(std::string_view directive);
    Csp& mode(CspMode m) { mode_ = m; return *this; }
    Csp& report_uri(std::string_view uri);    // legacy reporting (report-uri)
    Csp& report_to(std::string_view group);   // Reporting API group (report-to)

    CspMode mode() const noexcept { return mode_; }
    // sources returns a directive's sources, or nullptr when it is absent.
    const std::vector<std::string>* sources(std::string_view directive) const;
    // header_name: Content-Security-Policy or Content-Security-Policy-Report-Only.
    std::string_view header_name() const noexcept;
    // render gives the header value, with `nonce` in place of kNonceSource (left out if empty).
    std::string render(std::string_view nonce) const;

private:
    void rebuild();

    std::vector<std::pair<std::string, std::vector<std::string>>> directives_;
    // pieces_: the rendered policy split where nonces go (rebuilt by every mutation).
    std::vector<std::string> pieces_{std::string()};
    CspMode mode_ = CspMode::enforce;
};

// Hsts: Strict-Transport-Security (RFC 6797), sent only over HTTPS.
struct Hsts {
    std::chrono::seconds max_age{31536000};
    bool include_subdomains = true;
    bool preload = false;  // needs max_age >= 1 year and include_subdomains (hstspreload.org)
};

inline constexpr std::string_view kRestrictivePermissionsPolicy =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()";

// Policy: every header and its value; nullopt turns one off (visibly, in code). A route that
// needs something else gets its own copy of the app's Policy with the change (per-route override).
struct Policy {
    std::optional<Csp> csp = Csp::strict();
    std::optional<std::string> content_type_options = "nosniff";
    std::optional<std::string> frame_options = "SAMEORIGIN";
    std::optional<std::string> referrer_policy = "strict-origin-when-cross-origin";
    std::optional<std::string> permissions_policy = std::string(kRestrictivePermissionsPolicy);
    std::optional<std::string> cross_origin_opener_policy = "same-origin";
    std::optional<std::string> cross_origin_resource_policy = "same-origin";
    // "0": OWASP's current advice; the old XSS auditor's "1; mode=block" could open holes.
    std::optional<std::string> xss_protection = "0";
    std::optional<Hsts> hsts = Hsts{};
    std::optional<std::string> logged_in_cache_control = "no-store";
    std::optional<std::string> logout_clear_site_data = "\"cache\", \"cookies\", \"storage\"";
};
// validate_policy throws ConfigError when a value has CR, LF or control characters, or HSTS
// preload is asked for without its requirements. Call once at start per Policy.
void validate_policy(const Policy& policy);

// ResponseFacts: what compute needs to know about one response.
struct ResponseFacts {
    std::string_view nonce;     // from make_nonce(); required when the CSP uses kNonceSource
    bool is_https = false;      // from the trusted-proxy resolver
    bool logged_in = false;     // adds Cache-Control
    bool logout = false;        // adds Clear-Site-Data
    // existing: header names the handler already set (any case); compute does not override them.
    std::span<const std::string_view> existing = {};
    // fixed_added_by_caller: the caller adds fixed_headers(policy) itself (rendered once and
    // shared by every response), so compute leaves them out. Only when `existing` names none.
    bool fixed_added_by_caller = false;
};

// make_nonce returns 128 random bits as base64url (22 characters), fresh each call. The bits
// come from crypto's CSPRNG 64 nonces at a time into a per-thread pool (one system call instead
// of 64); each nonce's bytes are wiped from the pool once handed out, and a forked child never
// reuses its parent's pool. Thread-safe.
std::string make_nonce();
// compute returns the headers to add to one response. Never emits Server or X-Powered-By.
HeaderList compute(const Policy& policy, const ResponseFacts& facts);
// fixed_headers: the part of compute's answer that is the same for every response (all but the
// CSP with its nonce, HSTS, Cache-Control and Clear-Site-Data), in compute's order.
HeaderList fixed_headers(const Policy& policy);

// HeaderSink receives headers one at a time: the views are valid only during the call.
class HeaderSink {
public:
    virtual void add(std::string_view name, std::string_view value) = 0;

protected:
    ~HeaderSink() = default;
};
// compute_into gives `sink` exactly what compute returns, in the same order, without building
// the list: the HTTP layer's per-response path copies each header once, into the response.
void compute_into(const Policy& policy, const ResponseFacts& facts, HeaderSink& sink);
// must_strip is true for headers that name the server's software (Server, X-Powered-By, ...):
// the HTTP layer removes them from every response.
bool must_strip(std::string_view header_name) noexcept;

// --- HTTPS enforcement ------------------------------------------------------------------

enum class Environment { development, production };

struct Redirect {
    int status = 301;       // 301 for GET and HEAD, 308 otherwise (keeps method and body)
    std::string location;   // https://<validated host>[:port]<target>
};

enum class RedirectError {
    bad_host,          // Host missing or not strict host[:port] syntax -> 400
    host_not_allowed,  // Host not in RedirectPolicy::allowed_hosts -> 400
};
std::string_view redirect_error_name(RedirectError e) noexcept;

struct RedirectPolicy {
    // allowed_hosts: "example.com" matches that host; ".example.com" also its subdomains.
    // Empty means any host of strict syntax (set it in production: ALLOWED_HOSTS).
    std::vector<std::string> allowed_hosts;
    // https_port: the public HTTPS port when not 443; the request's own port is never reused.
    std::optional<unsigned> https_port;
};

// https_redirect returns the redirect a plain-HTTP request gets in production, nullopt when
// none is due (HTTPS already, or not production). An unusable target becomes "/".
Result<std::optional<Redirect>, RedirectError> https_redirect(
    std::string_view method, std::string_view untrusted_host, std::string_view target, bool is_https,
    Environment env, const RedirectPolicy& policy = {});

// --- CSP violation reports ----------------------------------------------------------------

inline constexpr std::size_t kMaxReportBody = 64 * 1024;
inline constexpr std::size_t kMaxReports = 20;
inline constexpr std::size_t kMaxReportField = 256;

enum class ReportError {
    too_large,               // body over kMaxReportBody -> 413
    unsupported_media_type,  // not application/csp-report, application/reports+json or application/json -> 415
    malformed,               // not JSON of either report shape -> 400
};
std::string_view report_error_name(ReportError e) noexcept;

// Violation: one report, sanitised: printable ASCII only, each field at most kMaxReportField,
// query strings and fragments removed from URLs (they may carry tokens), no script sample.
struct Violation {
    std::string document_uri;
    std::string blocked_uri;
    std::string effective_directive;
    std::string source_file;
    std::string disposition;  // "enforce" or "report"
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

// parse_csp_report reads a report body (either format); reports of other types in a
// reports+json batch are skipped; at most kMaxReports are returned.
Result<std::vector<Violation>, ReportError> parse_csp_report(std::string_view content_type,
                                                             std::string_view untrusted_body);
// summarize renders one violation as a single log-safe line.
std::string summarize(const Violation& v);

}  // namespace bulwark::headers
