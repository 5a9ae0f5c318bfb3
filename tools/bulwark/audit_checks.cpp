// The audit's checks: each one a pure function from what the probes saw (Observed) to one
// Finding, with the reason a reader needs to fix it. The rules and their sources:
//   - https-redirect, hsts: OWASP Transport Layer Security Cheat Sheet; RFC 6797 (HSTS, a year
//     is what hstspreload.org asks);
//   - csp-*: OWASP Content Security Policy Cheat Sheet, CSP Level 3 (a nonce or hash makes
//     browsers ignore 'unsafe-inline'; object-src falls back to default-src, base-uri does not);
//   - frame-protection, content-type-options, referrer-policy, version-leak: OWASP HTTP Headers
//     Cheat Sheet;
//   - session-cookie: RFC 6265bis (Secure, HttpOnly, SameSite, the __Host- prefix);
//   - csrf-*: OWASP CSRF Prevention Cheat Sheet (synchronizer token, refused without it);
//   - login-rate-limit: OWASP Authentication Cheat Sheet, "Protect against automated attacks";
//   - generic-errors: OWASP Error Handling Cheat Sheet.
#include <algorithm>
#include <array>
#include <functional>

#include "audit.hpp"

namespace bulwark::cli::audit {
namespace {

constexpr std::int64_t kOneYear = 31536000;

Finding make(Status s, std::string reason) {
    return {{}, s, std::move(reason)};
}
Finding pass(std::string reason) {
    return make(Status::pass, std::move(reason));
}
Finding warn(std::string reason) {
    return make(Status::warn, std::move(reason));
}
Finding fail(std::string reason) {
    return make(Status::fail, std::move(reason));
}

bool has(const std::vector<std::string>& sources, std::string_view source) {
    return std::find(sources.begin(), sources.end(), source) != sources.end();
}

bool contains_lower(std::string_view haystack, std::string_view needle) {
    return lower(haystack).find(needle) != std::string::npos;
}

// Page: a response whose security headers are judged, with the path it came from.
struct Page {
    std::string_view label;
    const Response* response;
};

std::vector<Page> pages(const Observed& o) {
    std::vector<Page> out;
    if (o.home.status > 0) out.push_back({"/", &o.home});
    if (o.login_page.status >= 200 && o.login_page.status < 300)
        out.push_back({"login page", &o.login_page});
    return out;
}

// worst_over_pages applies a per-page check to every page and keeps the worst finding (the
// first page wins a tie), naming the page when there are several.
Finding worst_over_pages(const Observed& o, const std::function<Finding(const Response&)>& check) {
    const auto ps = pages(o);
    if (ps.empty()) return fail("the site did not answer: " + printable(o.home.error));
    std::optional<Finding> worst;
    for (const auto& page : ps) {
        Finding f = check(*page.response);
        if (ps.size() > 1 && f.status != Status::pass)
            f.reason = std::string(page.label) + ": " + f.reason;
        if (!worst || f.status > worst->status) worst = std::move(f);
    }
    return *worst;
}

std::optional<CspPolicy> enforced_csp(const Response& r) {
    const auto value = r.header("content-security-policy");
    if (!value) return std::nullopt;
    return parse_csp(*value);
}

Finding check_https_redirect(const Observed& o) {
    const Response& r = o.plain_http;
    if (!r.sent) return warn("not probed");
    if (r.status == 0)
        return warn(printable(o.http_url) + " did not answer (" + printable(r.error, 60) +
                    "); HSTS must then cover every visit");
    const bool redirect =
        r.status == 301 || r.status == 302 || r.status == 303 || r.status == 307 || r.status == 308;
    if (!redirect)
        return fail(printable(o.http_url) + " answers " + std::to_string(r.status) +
                    " over plain HTTP, not a redirect to https://");
    const std::string location = std::string(r.header("location").value_or(""));
    if (!lower(location).starts_with("https://"))
        return fail(printable(o.http_url) + " redirects to " +
                    (location.empty() ? "nowhere" : printable(location)) + ", not https://");
    // The redirect must stay on the same host, or it is an open redirect on the way in.
    std::string_view authority = std::string_view(location).substr(8);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    std::string host =
        lower(authority.starts_with("[") ? authority.substr(0, authority.find(']') + 1)
                                         : authority.substr(0, authority.find(':')));
    if (host != o.host) return fail("the redirect leaves the host: " + printable(location));
    return pass(std::to_string(r.status) + " to " + printable(location));
}

Finding check_hsts(const Observed& o) {
    if (!o.https) return fail("the site is audited over plain HTTP, where HSTS has no effect");
    if (o.home.status == 0) return fail("no answer over HTTPS");
    const auto value = o.home.header("strict-transport-security");
    if (!value) return fail("no Strict-Transport-Security header");
    const Hsts h = parse_hsts(*value);
    if (!h.max_age)
        return fail("Strict-Transport-Security without a readable max-age: " + printable(*value));
    std::string notes = "max-age=" + std::to_string(*h.max_age) +
                        (h.include_subdomains ? "; includeSubDomains" : "; no includeSubDomains") +
                        (h.preload ? "; preload" : "");
    if (*h.max_age < kOneYear) return fail(notes + " (under a year)");
    return pass(notes);
}

Finding check_csp(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        if (r.header("content-security-policy")) return pass("Content-Security-Policy is enforced");
        if (r.header("content-security-policy-report-only"))
            return fail("the CSP is report-only: nothing is enforced");
        return fail("no Content-Security-Policy header");
    });
}

Finding check_csp_script(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        const auto csp = enforced_csp(r);
        if (!csp) return fail("no enforced CSP, so any injected script runs");
        const auto* sources = csp_sources(*csp, "script-src");
        std::string from = "script-src";
        if (sources == nullptr) {
            sources = csp_sources(*csp, "default-src");
            from = "default-src";
        }
        if (sources == nullptr)
            return fail("neither script-src nor default-src: scripts from anywhere");
        if (has(*sources, "'unsafe-eval'")) return fail(from + " allows 'unsafe-eval'");
        const bool nonce_or_hash =
            std::any_of(sources->begin(), sources->end(), [](const std::string& s) {
                return s.starts_with("'nonce-") || s.starts_with("'sha256-") ||
                       s.starts_with("'sha384-") || s.starts_with("'sha512-");
            });
        if (has(*sources, "'unsafe-inline'") && !nonce_or_hash)
            return fail(from + " allows 'unsafe-inline'");
        for (std::string_view wide : {"*", "data:", "http:", "https:", "blob:"})
            if (has(*sources, wide) && !has(*sources, "'strict-dynamic'"))
                return fail(from + " allows scripts from " + std::string(wide));
        if (has(*sources, "'unsafe-inline'"))
            return warn(
                from +
                " lists 'unsafe-inline' beside a nonce or hash (ignored by CSP2+ browsers only)");
        return pass(from + (nonce_or_hash ? " uses a nonce or hash" : " has no unsafe source"));
    });
}

Finding check_csp_object_base(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        const auto csp = enforced_csp(r);
        if (!csp) return fail("no enforced CSP");
        const auto* object = csp_sources(*csp, "object-src");
        if (object == nullptr) object = csp_sources(*csp, "default-src");
        if (object == nullptr || !(object->size() == 1 && has(*object, "'none'")))
            return fail("object-src is not 'none' (plugins can run script)");
        const auto* base = csp_sources(*csp, "base-uri");  // no fallback to default-src
        if (base == nullptr)
            return fail("no base-uri: an injected <base> redirects relative scripts");
        if (!(base->size() == 1 && (has(*base, "'none'") || has(*base, "'self'"))))
            return fail("base-uri is not 'self' or 'none'");
        return pass("object-src 'none'; base-uri " + base->front());
    });
}

Finding check_frame_protection(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        std::string via;
        if (const auto csp = enforced_csp(r)) {
            if (const auto* fa = csp_sources(*csp, "frame-ancestors")) {
                if (has(*fa, "*") || has(*fa, "https:") || has(*fa, "http:"))
                    return fail("frame-ancestors lets any site frame the pages");
                via = "frame-ancestors " + (fa->empty() ? std::string("(none)") : fa->front());
            }
        }
        const std::string xfo = lower(r.header("x-frame-options").value_or(""));
        if (xfo == "deny" || xfo == "sameorigin")
            via += std::string(via.empty() ? "" : ", ") + "X-Frame-Options " + xfo;
        if (via.empty())
            return fail("neither CSP frame-ancestors nor X-Frame-Options: clickjacking");
        return pass(via);
    });
}

Finding check_content_type_options(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        const auto v = r.header("x-content-type-options");
        if (!v) return fail("no X-Content-Type-Options: browsers may sniff content types");
        if (lower(*v) != "nosniff")
            return fail("X-Content-Type-Options is " + printable(*v) + ", not nosniff");
        return pass("nosniff");
    });
}

Finding check_referrer_policy(const Observed& o) {
    return worst_over_pages(o, [](const Response& r) {
        const auto v = r.header("referrer-policy");
        if (!v) return warn("no Referrer-Policy: the browser default applies");
        const std::string value = lower(*v);
        if (value.find("unsafe-url") != std::string::npos ||
            value.find("no-referrer-when-downgrade") != std::string::npos)
            return fail("Referrer-Policy " + printable(*v) + " sends full URLs to other sites");
        return pass(printable(*v));
    });
}

Finding check_session_cookie(const Observed& o) {
    const auto cookie = session_cookie(o);
    if (!cookie)
        return warn("no cookie was set by /, the login or the register page; flags not checked");
    const std::string name = printable(cookie->name, 40);
    std::vector<std::string> problems;
    if (!cookie->secure) problems.push_back("not Secure");
    if (!cookie->http_only) problems.push_back("not HttpOnly");
    if (!cookie->same_site)
        problems.push_back("no SameSite");
    else if (*cookie->same_site == "none")
        problems.push_back("SameSite=None");
    else if (*cookie->same_site != "lax" && *cookie->same_site != "strict")
        problems.push_back("SameSite unreadable");
    const bool host_prefix = cookie->name.starts_with("__Host-");
    const std::string note = host_prefix ? " (__Host- prefix)" : " (no __Host- prefix)";
    if (problems.empty())
        return pass(name + ": Secure, HttpOnly, SameSite=" + *cookie->same_site + note);
    std::string reason = name + ":";
    for (const auto& p : problems) reason += " " + p + ";";
    reason.pop_back();
    return fail(reason + note);
}

Finding check_csrf_forms(const Observed& o) {
    std::vector<std::string> seen, problems;
    const std::array<std::pair<std::string_view, const Response*>, 2> page_list{
        std::pair<std::string_view, const Response*>{"login", &o.login_page},
        {"register", &o.register_page}};
    for (const auto& [label, r] : page_list) {
        if (r->status < 200 || r->status >= 300) continue;
        int posts = 0;
        for (const auto& form : find_forms(r->body)) {
            if (form.method != "post") continue;
            ++posts;
            if (!csrf_token_of(form, o.csrf_field))
                problems.push_back(std::string(label) + " form has no hidden CSRF token");
        }
        if (posts == 0)
            problems.push_back(std::string(label) + " page has no POST form");
        else
            seen.push_back(std::string(label));
    }
    if (seen.empty() && problems.empty())
        return warn("neither a login nor a register page answered 200");
    if (!problems.empty())
        return fail(problems.front() + (problems.size() > 1 ? " (and more)" : ""));
    std::string reason = "hidden token in the ";
    for (std::size_t i = 0; i < seen.size(); ++i) reason += (i ? " and " : "") + seen[i];
    return pass(reason + " form" + (seen.size() > 1 ? "s" : ""));
}

Finding check_csrf_refused(const Observed& o) {
    const Response& r = o.post_no_token;
    if (!r.sent) return warn("not probed (" + o.login_skipped + ")");
    if (r.status == 0) return warn("no answer to a POST without token: " + printable(r.error, 60));
    if (r.status == 429)
        return warn("a POST without token got 429 (rate limited) before any CSRF check was seen");
    if (r.status == 400 || r.status == 403 || r.status == 419 || r.status == 422)
        return pass("a login POST without the token is refused with " + std::to_string(r.status));
    return fail("a login POST without the CSRF token got " + std::to_string(r.status) +
                ", not a 4xx refusal");
}

Finding check_login_rate_limit(const Observed& o) {
    const auto& s = o.login_statuses;
    if (s.empty())
        return warn("not probed: " +
                    (o.login_skipped.empty() ? std::string("no attempt made") : o.login_skipped));
    const auto first_429 = std::find(s.begin(), s.end(), 429);
    if (first_429 != s.end())
        return pass("429 after " + std::to_string(first_429 - s.begin()) + " bad login" +
                    (first_429 - s.begin() == 1 ? "" : "s"));
    if (std::any_of(s.begin(), s.end(), [](long x) { return x == 400 || x == 403 || x == 0; }))
        return warn("the bad logins were refused or unanswered (" + std::to_string(s.back()) +
                    ") before a limit could show; check --login-path and the field names");
    return fail(std::to_string(s.size()) + " bad logins in a row, none refused with 429");
}

Finding check_generic_errors(const Observed& o) {
    std::vector<std::pair<std::string_view, const Response*>> errors{
        {"404 page", &o.not_found}, {"malformed request", &o.malformed}};
    std::string seen;
    for (const auto& [label, r] : errors) {
        if (!r->sent || r->status == 0) continue;
        if (auto leak = leak_in(r->body)) return fail(std::string(label) + " shows " + *leak);
        seen += std::string(seen.empty() ? "" : ", ") + std::string(label) + " " +
                std::to_string(r->status);
    }
    if (o.not_found.status == 200) return warn("a path that cannot exist answers 200, not 404");
    if (seen.empty()) return warn("no error page could be read");
    return pass(seen + ": no stack trace, framework or version");
}

Finding check_version_leak(const Observed& o) {
    const std::array<const Response*, 7> all{&o.home,          &o.plain_http,    &o.login_page,
                                             &o.register_page, &o.post_no_token, &o.not_found,
                                             &o.malformed};
    std::optional<Finding> worst;
    for (const Response* r : all) {
        for (const auto& [name, value] : r->headers) {
            std::optional<Finding> f;
            if (name == "x-powered-by" || name == "x-aspnet-version" ||
                name == "x-aspnetmvc-version" || name == "x-generator")
                f = fail(name + ": " + printable(value, 40));
            else if (name == "server")
                f = std::any_of(value.begin(), value.end(),
                                [](char c) { return c >= '0' && c <= '9'; })
                        ? fail("Server: " + printable(value, 40) + " names a version")
                        : warn("Server: " + printable(value, 40) + " names the software");
            if (f && (!worst || f->status > worst->status)) worst = std::move(f);
        }
    }
    return worst ? *worst : pass("no Server or X-Powered-By header");
}

using Check = Finding (*)(const Observed&);
struct Entry {
    std::string_view name;
    Check run;
};
constexpr std::array<Entry, 14> kChecks{{
    {"https-redirect", check_https_redirect},
    {"hsts", check_hsts},
    {"csp", check_csp},
    {"csp-script", check_csp_script},
    {"csp-object-base", check_csp_object_base},
    {"frame-protection", check_frame_protection},
    {"content-type-options", check_content_type_options},
    {"referrer-policy", check_referrer_policy},
    {"session-cookie", check_session_cookie},
    {"csrf-forms", check_csrf_forms},
    {"csrf-refused", check_csrf_refused},
    {"login-rate-limit", check_login_rate_limit},
    {"generic-errors", check_generic_errors},
    {"version-leak", check_version_leak},
}};

}  // namespace

std::optional<std::string_view> Response::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return v;
    return std::nullopt;
}

std::vector<std::string_view> Response::all(std::string_view lower_name) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : headers)
        if (k == lower_name) out.push_back(v);
    return out;
}

std::string_view status_name(Status s) noexcept {
    switch (s) {
        case Status::pass:
            return "PASS";
        case Status::warn:
            return "WARN";
        case Status::fail:
            return "FAIL";
    }
    return "FAIL";
}

const std::vector<std::string_view>& check_names() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> out;
        for (const auto& e : kChecks) out.push_back(e.name);
        return out;
    }();
    return names;
}

std::vector<Finding> evaluate(const Observed& observed) {
    std::vector<Finding> out;
    for (const auto& e : kChecks) {
        Finding f = e.run(observed);
        f.check = std::string(e.name);
        out.push_back(std::move(f));
    }
    return out;
}

char grade(const std::vector<Finding>& findings) {
    const auto count = [&](Status s) {
        return std::count_if(findings.begin(), findings.end(),
                             [&](const Finding& f) { return f.status == s; });
    };
    if (count(Status::fail) > 0) return 'F';
    const auto warnings = count(Status::warn);
    return warnings == 0 ? 'A' : warnings <= 2 ? 'B' : 'C';
}

std::optional<std::pair<std::string, std::string>> csrf_token_of(const Form& form,
                                                                 std::string_view field) {
    for (const auto& [name, value] : form.hidden) {
        const std::string n = lower(name);
        const bool named = field.empty() ? (n.find("csrf") != std::string::npos ||
                                            n.find("xsrf") != std::string::npos ||
                                            n.find("token") != std::string::npos)
                                         : name == field;
        if (named && !value.empty()) return std::pair{name, value};
    }
    return std::nullopt;
}

std::optional<SetCookie> session_cookie(const Observed& o) {
    std::optional<SetCookie> first;
    for (const Response* r : {&o.home, &o.login_page, &o.register_page}) {
        for (auto value : r->all("set-cookie")) {
            auto cookie = parse_set_cookie(value);
            if (!cookie) continue;
            if (o.cookie_name.empty() ? contains_lower(cookie->name, "session")
                                      : cookie->name == o.cookie_name)
                return cookie;
            if (!first && o.cookie_name.empty()) first = std::move(cookie);
        }
    }
    return first;
}

std::optional<std::string> leak_in(std::string_view untrusted_text) {
    const std::string text = lower(untrusted_text.substr(0, kMaxBody));
    static const std::array<std::string_view, 22> kMarkers{"traceback (most recent call last)",
                                                           "stack trace",
                                                           "stacktrace",
                                                           "std::",
                                                           "terminate called",
                                                           "exception",
                                                           "at line ",
                                                           ".cpp:",
                                                           ".py\", line",
                                                           "sqlite_",
                                                           "sql syntax",
                                                           "boost",
                                                           "beast/",
                                                           "werkzeug",
                                                           "flask",
                                                           "django",
                                                           "express",
                                                           "apache/",
                                                           "nginx/",
                                                           "php/",
                                                           "asp.net",
                                                           "bulwark/"};
    for (auto marker : kMarkers)
        if (text.find(marker) != std::string::npos) return "\"" + std::string(marker) + "\"";
    return std::nullopt;
}

}  // namespace bulwark::cli::audit
