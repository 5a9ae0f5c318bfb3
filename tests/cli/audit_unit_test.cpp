// `bulwark audit`: its parsers on good values and on garbage (tables of bad input), and each
// check on captured responses, without sockets. The end-to-end runs are in audit_site_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "audit.hpp"

namespace {

namespace audit = bulwark::cli::audit;
using audit::Observed;
using audit::Response;
using audit::Status;

// --- parsers --------------------------------------------------------------------------------

TEST(AuditParse, SetCookieAttributes) {
    auto c = audit::parse_set_cookie("__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Lax");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "__Host-session");
    EXPECT_EQ(c->value, "abc");
    EXPECT_TRUE(c->secure);
    EXPECT_TRUE(c->http_only);
    EXPECT_EQ(c->same_site.value_or(""), "lax");
    EXPECT_EQ(c->path.value_or(""), "/");
    EXPECT_FALSE(c->has_domain);

    auto odd =
        audit::parse_set_cookie("  sid = x=y ;secure;HTTPONLY ; samesite = STRICT; domain=.a.b");
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->name, "sid");
    EXPECT_EQ(odd->value, "x=y");
    EXPECT_TRUE(odd->secure && odd->http_only && odd->has_domain);
    EXPECT_EQ(odd->same_site.value_or(""), "strict");
    // "Secure" as a value, not as an attribute, is not the flag.
    auto fake = audit::parse_set_cookie("a=Secure HttpOnly");
    ASSERT_TRUE(fake);
    EXPECT_FALSE(fake->secure || fake->http_only);
}

TEST(AuditParse, CspDirectives) {
    auto p = audit::parse_csp(
        "default-src 'self'; SCRIPT-SRC 'NONCE-abc' 'strict-dynamic' https://cdn.example;"
        " object-src 'none';script-src 'unsafe-inline'; base-uri 'self'");
    const auto* script = audit::csp_sources(p, "script-src");
    ASSERT_NE(script, nullptr);
    EXPECT_EQ(*script,
              (std::vector<std::string>{"'nonce-abc'", "'strict-dynamic'", "https://cdn.example"}))
        << "the first script-src wins, keywords lower-cased, hosts kept";
    EXPECT_NE(audit::csp_sources(p, "base-uri"), nullptr);
    EXPECT_EQ(audit::csp_sources(p, "frame-ancestors"), nullptr);
    // A second policy after a comma is not read into the first.
    auto two = audit::parse_csp("script-src 'self', script-src 'unsafe-eval'");
    EXPECT_EQ(*audit::csp_sources(two, "script-src"), std::vector<std::string>{"'self'"});
}

TEST(AuditParse, Hsts) {
    auto h = audit::parse_hsts("max-age=\"31536000\"; includeSubDomains; preload");
    EXPECT_EQ(h.max_age.value_or(-1), 31536000);
    EXPECT_TRUE(h.include_subdomains && h.preload);
    EXPECT_FALSE(audit::parse_hsts("max-age=1e9").max_age);
    EXPECT_FALSE(audit::parse_hsts("max-age=-5").max_age);
    EXPECT_FALSE(audit::parse_hsts("max-age=9999999999999999999999").max_age);
}

TEST(AuditParse, Forms) {
    const std::string html =
        R"(<!-- <form method=post><input type=hidden name=csrf_token value=fake></form> -->
<FORM Method="POST" action='/login'><input type="hidden" name="csrf_token" value="t&amp;k">
<input name=username><INPUT TYPE=password name="password"><button name=go>x</button></FORM>
<form action=/search><input name=q></form>)";
    const auto forms = audit::find_forms(html);
    ASSERT_EQ(forms.size(), 2u) << "the commented-out form is not a form";
    EXPECT_EQ(forms[0].method, "post");
    EXPECT_EQ(forms[0].action, "/login");
    ASSERT_EQ(forms[0].hidden.size(), 1u);
    EXPECT_EQ(forms[0].hidden[0], (std::pair<std::string, std::string>{"csrf_token", "t&k"}));
    EXPECT_EQ(forms[0].fields, (std::vector<std::string>{"username", "password", "go"}));
    EXPECT_EQ(forms[1].method, "get");
    auto token = audit::csrf_token_of(forms[0], "");
    ASSERT_TRUE(token);
    EXPECT_EQ(token->first, "csrf_token");
    EXPECT_FALSE(audit::csrf_token_of(forms[0], "authenticity_token"));
}

// Garbage of every kind: nothing throws or crashes, and nothing reads as a secure setting.
TEST(AuditParse, BadInputTable) {
    struct Case {
        std::string name;
        std::string input;
    };
    const std::vector<Case> cases = {
        {"empty", ""},
        {"only_separators", ";;;,,,===;"},
        {"nul_bytes", std::string("a\0=b\0; Secure\0", 15)},
        {"control_bytes", "\x01\x02\x7f\xff\xfe=\x1b[31m"},
        {"unterminated_quote", "max-age=\"31536000; includeSubDomains"},
        {"huge_value", std::string(200000, 'x')},
        {"many_separators", std::string(100000, ';')},
        {"many_tokens", std::string(50000, 'a') + std::string(50000, ' ')},
        {"unclosed_tag", "<form method=post><input name=\"csrf_token value=abc"},
        {"lone_angle", "<<<<<<<>>>>><form<input<"},
        {"deep_forms",
         [] {
             std::string s;
             for (int i = 0; i < 5000; ++i)
                 s += "<form method=post><input type=hidden name=t value=v>";
             return s;
         }()},
        {"unclosed_comment", "<!-- <form method=post>"},
        {"utf8_junk", "\xef\xbb\xbf\xc3\x28 script-src 'self'"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_NO_THROW({
            auto cookie = audit::parse_set_cookie(c.input);
            if (cookie) {
                EXPECT_FALSE(cookie->secure);
            }
            auto csp = audit::parse_csp(c.input);
            EXPECT_LE(csp.size(), audit::kMaxDirectives);
            for (const auto& [name, sources] : csp) EXPECT_LE(sources.size(), audit::kMaxSources);
            auto hsts = audit::parse_hsts(c.input);
            EXPECT_FALSE(hsts.max_age);
            auto forms = audit::find_forms(c.input);
            EXPECT_LE(forms.size(), audit::kMaxForms);
            for (const auto& f : forms)
                EXPECT_LE(f.hidden.size() + f.fields.size(), audit::kMaxFormInputs);
        });
    }
    EXPECT_EQ(audit::printable("a\x1b[31mb\n\xff", 80), "a?[31mb??");
    EXPECT_EQ(audit::printable(std::string(100, 'x'), 10), std::string(10, 'x') + "...");
}

// --- checks ---------------------------------------------------------------------------------

Response reply(long status, std::vector<std::pair<std::string, std::string>> headers,
               std::string body = {}) {
    Response r;
    r.sent = true;
    r.status = status;
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
}

const std::string kLoginForm =
    "<form method=post action=/login><input type=hidden name=csrf_token value=abc><input "
    "name=username></form>";
const std::vector<std::pair<std::string, std::string>> kGoodHeaders = {
    {"content-security-policy",
     "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'; object-src 'none'; base-uri "
     "'self'; "
     "frame-ancestors 'self'"},
    {"strict-transport-security", "max-age=31536000; includeSubDomains"},
    {"x-content-type-options", "nosniff"},
    {"x-frame-options", "SAMEORIGIN"},
    {"referrer-policy", "strict-origin-when-cross-origin"},
    {"set-cookie", "__Host-session=s3cret; Path=/; Secure; HttpOnly; SameSite=Lax"},
};

// good: what a well-configured site shows the probes.
Observed good() {
    Observed o;
    o.https = true;
    o.host = "example.test";
    o.http_url = "http://example.test/";
    o.plain_http = reply(301, {{"location", "https://example.test/"}});
    o.home = reply(200, kGoodHeaders, "<h1>hi</h1>");
    o.login_page = reply(200, kGoodHeaders, kLoginForm);
    o.register_page = reply(200, kGoodHeaders, kLoginForm);
    o.post_no_token = reply(400, kGoodHeaders, "Bad Request");
    o.not_found = reply(404, kGoodHeaders, "Not Found (request id abc)");
    o.malformed = reply(400, {}, "Bad Request");
    o.login_statuses = {401, 401, 401, 401, 401, 429};
    return o;
}

// with: `o` with every page's header `name` replaced by `value` (removed when value is empty).
Observed with_header(Observed o, const std::string& name, const std::string& value) {
    for (Response* r : {&o.home, &o.login_page, &o.register_page}) {
        std::erase_if(r->headers, [&](const auto& h) { return h.first == name; });
        if (!value.empty()) r->headers.emplace_back(name, value);
    }
    return o;
}

Status status_of(const std::vector<audit::Finding>& findings, const std::string& check) {
    for (const auto& f : findings)
        if (f.check == check) return f.status;
    ADD_FAILURE() << "no check " << check;
    return Status::fail;
}

TEST(AuditChecks, GoodSitePassesEveryCheck) {
    const auto findings = audit::evaluate(good());
    ASSERT_EQ(findings.size(), audit::check_names().size());
    for (const auto& f : findings) EXPECT_EQ(f.status, Status::pass) << f.check << ": " << f.reason;
    EXPECT_EQ(audit::grade(findings), 'A');
    for (const auto& f : findings)
        EXPECT_EQ(f.reason.find("s3cret"), std::string::npos) << "a cookie value is never printed";
}

// One row per weakness: the site as good() but for one change, the check that must name it,
// the status it must get and a word the reason must carry. Every other check stays PASS.
TEST(AuditChecks, WeaknessTable) {
    struct Case {
        std::string name;
        Observed observed;
        std::string check;
        Status status;
        std::string reason_has;
        std::vector<std::string> also = {};  // checks that the same change rightly fails too
    };
    auto o = [](auto change) {
        Observed x = good();
        change(x);
        return x;
    };
    const std::vector<Case> cases = {
        {"no_redirect", o([](Observed& x) { x.plain_http = reply(200, {}); }), "https-redirect",
         Status::fail, "200"},
        {"redirect_to_http", o([](Observed& x) {
             x.plain_http = reply(301, {{"location", "http://example.test/"}});
         }),
         "https-redirect", Status::fail, "not https"},
        {"redirect_elsewhere", o([](Observed& x) {
             x.plain_http = reply(302, {{"location", "https://evil.test/"}});
         }),
         "https-redirect", Status::fail, "leaves the host"},
        {"plain_http_closed", o([](Observed& x) {
             x.plain_http = reply(0, {});
             x.plain_http.error = "refused";
         }),
         "https-redirect", Status::warn, "did not answer"},
        {"no_hsts", with_header(good(), "strict-transport-security", ""), "hsts", Status::fail,
         "no Strict"},
        {"short_hsts", with_header(good(), "strict-transport-security", "max-age=86400"), "hsts",
         Status::fail, "under a year"},
        {"garbled_hsts", with_header(good(), "strict-transport-security", "max-age=forever"),
         "hsts", Status::fail, "readable"},
        {"plain_http_site", o([](Observed& x) { x.https = false; }), "hsts", Status::fail,
         "plain HTTP"},
        {"no_csp",
         with_header(good(), "content-security-policy", ""),
         "csp",
         Status::fail,
         "no Content-Security",
         {"csp-script", "csp-object-base"}},
        {"report_only_csp",
         o([](Observed& x) {
             x = with_header(x, "content-security-policy", "");
             x = with_header(x, "content-security-policy-report-only", "default-src 'self'");
         }),
         "csp",
         Status::fail,
         "report-only",
         {"csp-script", "csp-object-base"}},
        {"unsafe_inline",
         with_header(good(), "content-security-policy",
                     "script-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
                     "frame-ancestors 'none'"),
         "csp-script", Status::fail, "'unsafe-inline'"},
        {"unsafe_eval",
         with_header(good(), "content-security-policy",
                     "default-src 'self' 'unsafe-eval'; base-uri 'self'; frame-ancestors 'none'; "
                     "object-src 'none'"),
         "csp-script", Status::fail, "'unsafe-eval'"},
        {"wildcard_scripts",
         with_header(good(), "content-security-policy",
                     "script-src *; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
         "csp-script", Status::fail, "*"},
        {"inline_beside_nonce",
         with_header(good(), "content-security-policy",
                     "script-src 'nonce-x' 'unsafe-inline'; object-src 'none'; base-uri 'self'; "
                     "frame-ancestors 'self'"),
         "csp-script", Status::warn, "beside a nonce"},
        {"no_object_src",
         with_header(good(), "content-security-policy",
                     "script-src 'self'; base-uri 'self'; frame-ancestors 'self'"),
         "csp-object-base", Status::fail, "object-src"},
        {"no_base_uri",
         with_header(good(), "content-security-policy",
                     "default-src 'none'; script-src 'self'; frame-ancestors 'self'"),
         "csp-object-base", Status::fail, "base-uri"},
        {"no_frame_protection", o([](Observed& x) {
             x = with_header(x, "x-frame-options", "");
             x = with_header(x, "content-security-policy", "default-src 'none'; base-uri 'none'");
         }),
         "frame-protection", Status::fail, "clickjacking"},
        {"xfo_allow_from", o([](Observed& x) {
             x = with_header(x, "x-frame-options", "ALLOW-FROM https://a.test");
             x = with_header(x, "content-security-policy", "default-src 'none'; base-uri 'none'");
         }),
         "frame-protection", Status::fail, "clickjacking"},
        {"frame_ancestors_any",
         with_header(good(), "content-security-policy",
                     "default-src 'none'; base-uri 'none'; frame-ancestors *"),
         "frame-protection", Status::fail, "any site"},
        {"no_nosniff", with_header(good(), "x-content-type-options", ""), "content-type-options",
         Status::fail, "X-Content"},
        {"no_referrer_policy", with_header(good(), "referrer-policy", ""), "referrer-policy",
         Status::warn, "no Referrer"},
        {"unsafe_url_referrer", with_header(good(), "referrer-policy", "unsafe-url"),
         "referrer-policy", Status::fail, "full URLs"},
        {"cookie_not_secure",
         with_header(good(), "set-cookie", "session=x; HttpOnly; SameSite=Lax"), "session-cookie",
         Status::fail, "not Secure"},
        {"cookie_not_httponly",
         with_header(good(), "set-cookie", "__Host-session=x; Secure; SameSite=Strict; Path=/"),
         "session-cookie", Status::fail, "not HttpOnly"},
        {"cookie_samesite_none",
         with_header(good(), "set-cookie", "sessionid=x; Secure; HttpOnly; SameSite=None"),
         "session-cookie", Status::fail, "SameSite=None"},
        {"cookie_no_samesite", with_header(good(), "set-cookie", "sessionid=x; Secure; HttpOnly"),
         "session-cookie", Status::fail, "no SameSite"},
        {"no_cookie", with_header(good(), "set-cookie", ""), "session-cookie", Status::warn,
         "no cookie"},
        {"form_without_token", o([](Observed& x) {
             x.register_page.body =
                 "<form method=post action=/register><input name=username></form>";
         }),
         "csrf-forms", Status::fail, "register form has no hidden CSRF token"},
        {"post_accepted_without_token", o([](Observed& x) { x.post_no_token = reply(401, {}); }),
         "csrf-refused", Status::fail, "401"},
        {"post_redirected_without_token", o([](Observed& x) { x.post_no_token = reply(303, {}); }),
         "csrf-refused", Status::fail, "303"},
        {"no_login_limit",
         o([](Observed& x) { x.login_statuses.assign(audit::kMaxLoginAttempts, 401); }),
         "login-rate-limit", Status::fail, "none refused with 429"},
        {"login_probe_refused", o([](Observed& x) { x.login_statuses = {400}; }),
         "login-rate-limit", Status::warn, "--login-path"},
        {"stack_trace_404",
         o([](Observed& x) { x.not_found.body = "Traceback (most recent call last): ..."; }),
         "generic-errors", Status::fail, "404 page shows"},
        {"exception_on_bad_request", o([](Observed& x) {
             x.malformed.body = "terminate called after throwing std::bad_alloc";
         }),
         "generic-errors", Status::fail, "malformed request shows"},
        {"framework_named", o([](Observed& x) { x.not_found.body = "<hr>nginx/1.25.3"; }),
         "generic-errors", Status::fail, "nginx/"},
        {"soft_404", o([](Observed& x) { x.not_found = reply(200, {}, "welcome"); }),
         "generic-errors", Status::warn, "answers 200"},
        {"server_version",
         o([](Observed& x) { x.not_found.headers.emplace_back("server", "Apache/2.4.1 (Unix)"); }),
         "version-leak", Status::fail, "names a version"},
        {"server_name_only", o([](Observed& x) { x.home.headers.emplace_back("server", "nginx"); }),
         "version-leak", Status::warn, "names the software"},
        {"powered_by",
         o([](Observed& x) { x.malformed.headers.emplace_back("x-powered-by", "PHP/8.2"); }),
         "version-leak", Status::fail, "x-powered-by"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto findings = audit::evaluate(c.observed);
        for (const auto& f : findings) {
            if (f.check == c.check) {
                EXPECT_EQ(f.status, c.status) << f.reason;
                EXPECT_NE(f.reason.find(c.reason_has), std::string::npos) << f.reason;
            } else if (std::find(c.also.begin(), c.also.end(), f.check) != c.also.end()) {
                EXPECT_EQ(f.status, Status::fail) << f.check;
            } else {
                EXPECT_EQ(f.status, Status::pass)
                    << "only " << c.check << " should change; " << f.check << ": " << f.reason;
            }
        }
        EXPECT_EQ(audit::grade(findings), c.status == Status::fail ? 'F' : 'B');
    }
}

TEST(AuditChecks, GradeAndNames) {
    using audit::Finding;
    EXPECT_EQ(audit::grade({}), 'A');
    EXPECT_EQ(audit::grade({{"a", Status::warn, ""}, {"b", Status::warn, ""}}), 'B');
    EXPECT_EQ(
        audit::grade({{"a", Status::warn, ""}, {"b", Status::warn, ""}, {"c", Status::warn, ""}}),
        'C');
    EXPECT_EQ(audit::grade({{"a", Status::pass, ""}, {"b", Status::fail, ""}}), 'F');
    EXPECT_EQ(audit::check_names().size(), 14u);
    EXPECT_EQ(audit::status_name(Status::fail), "FAIL");
}

TEST(AuditChecks, SiteThatDoesNotAnswer) {
    Observed o;
    o.host = "example.test";
    o.home.sent = true;
    o.home.error = "Couldn't connect to server";
    const auto findings = audit::evaluate(o);
    EXPECT_EQ(audit::grade(findings), 'F');
    EXPECT_EQ(status_of(findings, "csp"), Status::fail);
    EXPECT_EQ(status_of(findings, "hsts"), Status::fail);
}

}  // namespace
