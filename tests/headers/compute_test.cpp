#include <bulwark/headers.hpp>

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace headers = bulwark::headers;

namespace {

std::map<std::string, std::string> as_map(const headers::HeaderList& list) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : list) {
        EXPECT_EQ(m.count(k), 0u) << "duplicate " << k;
        m[k] = v;
    }
    return m;
}

}  // namespace

TEST(Headers, DefaultsOverHttpsAsTheIssueLists) {
    const headers::Policy policy;
    EXPECT_NO_THROW(headers::validate_policy(policy));
    const auto m = as_map(headers::compute(policy, {.nonce = "abcDEF123_-", .is_https = true}));
    const std::map<std::string, std::string> want = {
        {"Content-Security-Policy",
         "default-src 'self'; script-src 'nonce-abcDEF123_-' 'strict-dynamic'; style-src 'self' "
         "'nonce-abcDEF123_-'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "SAMEORIGIN"},
        {"Referrer-Policy", "strict-origin-when-cross-origin"},
        {"Permissions-Policy", std::string(headers::kRestrictivePermissionsPolicy)},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
        {"X-XSS-Protection", "0"},
        {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    };
    EXPECT_EQ(m, want);
}

TEST(Headers, ConditionalHeadersTable) {
    const headers::Policy policy;
    struct Case {
        const char* name;
        headers::ResponseFacts facts;
        std::set<std::string> present, absent;
    };
    const Case cases[] = {
        {"http_no_hsts", {.nonce = "n0nce", .is_https = false}, {}, {"Strict-Transport-Security", "Cache-Control", "Clear-Site-Data"}},
        {"https_hsts", {.nonce = "n0nce", .is_https = true}, {"Strict-Transport-Security"}, {"Cache-Control"}},
        {"logged_in_no_store", {.nonce = "n0nce", .logged_in = true}, {"Cache-Control"}, {"Clear-Site-Data"}},
        {"logout_clears", {.nonce = "n0nce", .logout = true}, {"Cache-Control", "Clear-Site-Data"}, {}},
    };
    for (const auto& c : cases) {
        const auto m = as_map(headers::compute(policy, c.facts));
        for (const auto& h : c.present) EXPECT_EQ(m.count(h), 1u) << c.name << " " << h;
        for (const auto& h : c.absent) EXPECT_EQ(m.count(h), 0u) << c.name << " " << h;
        EXPECT_EQ(m.count("Server"), 0u);
        EXPECT_EQ(m.count("X-Powered-By"), 0u);
    }
    const auto logout = as_map(headers::compute(policy, {.nonce = "n", .logout = true}));
    EXPECT_EQ(logout.at("Clear-Site-Data"), "\"cache\", \"cookies\", \"storage\"");
    EXPECT_EQ(logout.at("Cache-Control"), "no-store");
}

TEST(Headers, ExistingHeadersAreNotOverridden) {
    const headers::Policy policy;
    const std::string_view existing[] = {"x-frame-options", "CONTENT-SECURITY-POLICY", "Cache-Control"};
    const auto m = as_map(headers::compute(policy, {.nonce = "n", .logged_in = true, .existing = existing}));
    EXPECT_EQ(m.count("X-Frame-Options"), 0u);
    EXPECT_EQ(m.count("Content-Security-Policy"), 0u);
    EXPECT_EQ(m.count("Cache-Control"), 0u);
    EXPECT_EQ(m.count("X-Content-Type-Options"), 1u);
}

TEST(Headers, HstsPreloadAndOff) {
    headers::Policy policy;
    policy.hsts->preload = true;
    EXPECT_EQ(as_map(headers::compute(policy, {.nonce = "n", .is_https = true})).at("Strict-Transport-Security"),
              "max-age=31536000; includeSubDomains; preload");
    policy.hsts->include_subdomains = false;
    EXPECT_THROW(headers::validate_policy(policy), headers::ConfigError);
    policy.hsts.reset();
    EXPECT_EQ(as_map(headers::compute(policy, {.nonce = "n", .is_https = true})).count("Strict-Transport-Security"), 0u);
}

TEST(Headers, NonceIsFreshAnd128Bits) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto n = headers::make_nonce();
        EXPECT_EQ(n.size(), 22u);  // 16 bytes base64url
        seen.insert(n);
    }
    EXPECT_EQ(seen.size(), 100u);
}

// A nonce that is missing or could break out of the header is never rendered; the
// nonce sources are dropped so scripts fail closed.
TEST(Headers, BadNonceFailsClosed) {
    const headers::Policy policy;
    for (std::string_view bad : {"", "a b", "x'; script-src *", "n\r\nSet-Cookie: a=b", "'unsafe-inline'"}) {
        const auto csp = as_map(headers::compute(policy, {.nonce = bad})).at("Content-Security-Policy");
        EXPECT_EQ(csp.find("nonce-"), std::string::npos) << bad;
        EXPECT_EQ(csp.find('\n'), std::string::npos);
        EXPECT_NE(csp.find("script-src 'strict-dynamic'"), std::string::npos) << csp;
    }
}

// must_strip switches on the name's length first: each software name in any case is stripped,
// and names of the same lengths that differ are kept.
TEST(Headers, MustStrip) {
    for (auto h : {"Server", "server", "SERVER", "X-Powered-By", "x-powered-by", "x-aspnet-version",
                   "X-AspNet-Version", "X-AspNetMvc-Version", "x-generator", "X-Generator"})
        EXPECT_TRUE(headers::must_strip(h)) << h;
    for (auto h : {"Content-Type", "X-Frame-Options", "Serverx", "Serve", "Vary-x", "X-Powered-By2", "x-powered-bx",
                   "x-aspnet-versioN2", "x-aspnet-versiom", "x-aspnetmvc-versioX", "x-generatoR1", "x-generatos", ""})
        EXPECT_FALSE(headers::must_strip(h)) << h;
}

// The nonce check is a table over all 256 byte values: every base64 / base64url character is
// rendered, any other byte anywhere in the nonce drops the nonce sources.
TEST(Headers, NonceCharactersByTable) {
    const headers::Policy policy;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=";
    const auto good = as_map(headers::compute(policy, {.nonce = alphabet})).at("Content-Security-Policy");
    EXPECT_NE(good.find("'nonce-" + alphabet + "'"), std::string::npos) << good;
    for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        if (alphabet.find(c) != std::string::npos) continue;
        for (std::size_t at : {0u, 5u, 10u}) {
            std::string nonce = "abcdefghij0";
            nonce[at] = c;
            const auto csp = as_map(headers::compute(policy, {.nonce = nonce})).at("Content-Security-Policy");
            EXPECT_EQ(csp.find("nonce-"), std::string::npos) << "byte " << byte << " at " << at;
        }
    }
}

TEST(Headers, ValidatePolicyRefusesHeaderInjection) {
    struct Case {
        const char* name;
        void (*edit)(headers::Policy&);
    };
    const Case cases[] = {
        {"crlf_in_frame_options", [](auto& p) { p.frame_options = "DENY\r\nSet-Cookie: x=1"; }},
        {"lf_in_referrer", [](auto& p) { p.referrer_policy = "no-referrer\n"; }},
        {"nul_in_permissions", [](auto& p) { p.permissions_policy = std::string("a\0b", 3); }},
        {"empty_value", [](auto& p) { p.xss_protection = ""; }},
        {"negative_hsts", [](auto& p) { p.hsts->max_age = std::chrono::seconds{-1}; }},
        {"preload_short", [](auto& p) { p.hsts->preload = true; p.hsts->max_age = std::chrono::seconds{600}; }},
    };
    for (const auto& c : cases) {
        headers::Policy p;
        c.edit(p);
        EXPECT_THROW(headers::validate_policy(p), headers::ConfigError) << c.name;
    }
}

// fixed_headers plus compute with fixed_added_by_caller gives exactly compute's headers, for the
// defaults and for policies that turn headers off or change them.
TEST(Headers, FixedHeadersAndTheRestMakeTheWhole) {
    struct Case {
        const char* name;
        headers::Policy policy;
        headers::ResponseFacts facts;
    };
    headers::Policy some_off;
    some_off.frame_options.reset();
    some_off.xss_protection.reset();
    some_off.referrer_policy = "no-referrer";
    headers::Policy all_off;
    all_off.csp.reset();
    all_off.content_type_options.reset();
    all_off.frame_options.reset();
    all_off.referrer_policy.reset();
    all_off.permissions_policy.reset();
    all_off.cross_origin_opener_policy.reset();
    all_off.cross_origin_resource_policy.reset();
    all_off.xss_protection.reset();
    const Case cases[] = {
        {"defaults over http", {}, {.nonce = "abcDEF123_-"}},
        {"defaults over https, logged in", {}, {.nonce = "abcDEF123_-", .is_https = true, .logged_in = true}},
        {"some off, logout", some_off, {.nonce = "abcDEF123_-", .logout = true}},
        {"all fixed ones off", all_off, {.is_https = true}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto split = c.facts;
        split.fixed_added_by_caller = true;
        auto rest = headers::compute(c.policy, split);
        const auto fixed = headers::fixed_headers(c.policy);
        for (const auto& [name, value] : fixed)
            for (const auto& [other, v] : rest) EXPECT_NE(name, other) << "given twice";
        rest.insert(rest.end(), fixed.begin(), fixed.end());
        EXPECT_EQ(as_map(rest), as_map(headers::compute(c.policy, c.facts)));
    }
    EXPECT_TRUE(headers::fixed_headers(all_off).empty());
    EXPECT_EQ(headers::fixed_headers({}).size(), 7u);
}
