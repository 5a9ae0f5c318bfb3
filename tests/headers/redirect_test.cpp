#include <bulwark/headers.hpp>

#include <gtest/gtest.h>

namespace headers = bulwark::headers;
using headers::Environment;

TEST(HttpsRedirect, Table) {
    struct Case {
        const char* name;
        const char* method;
        const char* host;
        const char* target;
        bool is_https;
        Environment env;
        int status;  // 0 = no redirect
        const char* location;
    };
    const Case cases[] = {
        {"get_301", "GET", "example.com", "/a?b=c", false, Environment::production, 301, "https://example.com/a?b=c"},
        {"head_301", "HEAD", "example.com", "/", false, Environment::production, 301, "https://example.com/"},
        {"post_308", "POST", "example.com", "/login", false, Environment::production, 308, "https://example.com/login"},
        {"delete_308", "DELETE", "example.com", "/x", false, Environment::production, 308, "https://example.com/x"},
        {"already_https", "GET", "example.com", "/", true, Environment::production, 0, ""},
        {"development", "GET", "example.com", "/", false, Environment::development, 0, ""},
        {"port_dropped", "GET", "Example.COM:8080", "/", false, Environment::production, 301, "https://example.com/"},
        {"ipv6", "GET", "[::1]:80", "/", false, Environment::production, 301, "https://[::1]/"},
        {"absolute_target_becomes_root", "GET", "example.com", "http://evil.test/", false, Environment::production, 301, "https://example.com/"},
        {"target_with_crlf", "GET", "example.com", "/a\r\nSet-Cookie: x", false, Environment::production, 301, "https://example.com/"},
        {"target_backslash", "GET", "example.com", "/\\evil.test", false, Environment::production, 301, "https://example.com/"},
        {"double_slash_stays_on_host", "GET", "example.com", "//evil.test/", false, Environment::production, 301, "https://example.com//evil.test/"},
    };
    for (const auto& c : cases) {
        const auto r = headers::https_redirect(c.method, c.host, c.target, c.is_https, c.env);
        ASSERT_TRUE(r.ok()) << c.name;
        if (c.status == 0) {
            EXPECT_FALSE(r->has_value()) << c.name;
            continue;
        }
        ASSERT_TRUE(r->has_value()) << c.name;
        EXPECT_EQ((*r)->status, c.status) << c.name;
        EXPECT_EQ((*r)->location, c.location) << c.name;
    }
}

// Host header injection: nothing but a strict host may reach Location.
TEST(HttpsRedirect, HostAttackTable) {
    const std::string bad_hosts[] = {
        "", "evil.test/path", "evil.test?x", "evil.test#x", "user@evil.test", "evil.test\r\nX: y",
        "evil test", ".evil.test", "evil..test", "evil.test.", "evil.test:", "evil.test:abc",
        "evil.test:123456", "[::1", "[zz::1]", "a_b.test", std::string(300, 'a'),
        "ev\xc3\xa9l.test", "\"evil.test\"", "evil.test\\x",
    };
    for (const auto& h : bad_hosts) {
        const auto r = headers::https_redirect("GET", h, "/", false, Environment::production);
        ASSERT_FALSE(r.ok()) << h;
        EXPECT_EQ(r.error(), headers::RedirectError::bad_host) << h;
    }
}

TEST(HttpsRedirect, Allowlist) {
    headers::RedirectPolicy policy{{"example.com", ".example.org"}, 8443};
    struct Case {
        const char* host;
        bool ok;
    };
    const Case cases[] = {
        {"example.com", true}, {"EXAMPLE.com:80", true}, {"www.example.com", false},
        {"example.org", true}, {"a.example.org", true}, {"evilexample.org", false},
        {"example.org.evil.test", false}, {"evil.test", false},
    };
    for (const auto& c : cases) {
        const auto r = headers::https_redirect("GET", c.host, "/p", false, Environment::production, policy);
        EXPECT_EQ(r.ok(), c.ok) << c.host;
        if (!c.ok && !r.ok()) {
            EXPECT_EQ(r.error(), headers::RedirectError::host_not_allowed) << c.host;
        }
    }
    const auto r = headers::https_redirect("GET", "example.com", "/p", false, Environment::production, policy);
    EXPECT_EQ((*r)->location, "https://example.com:8443/p");
}
