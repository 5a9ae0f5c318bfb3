#include <bulwark/cors.hpp>

#include <gtest/gtest.h>

#include <map>

namespace cors = bulwark::cors;
using Opt = std::optional<std::string_view>;

namespace {

std::map<std::string, std::string> as_map(const cors::HeaderList& list) {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : list) {
        EXPECT_EQ(m.count(k), 0u) << "duplicate " << k;
        m[k] = v;
    }
    return m;
}

// The reference app: CORS on /api/* only, for CORS_ORIGINS, GET and POST, three headers.
cors::Cors reference_app() {
    return cors::Cors({{.path_prefix = "/api/",
                        .origins = {"https://app.example.com", "http://localhost:3000"},
                        .methods = {"GET", "POST"},
                        .allow_headers = {"Content-Type", "Authorization", "X-API-Key"},
                        .max_age = std::chrono::seconds{600}}});
}

}  // namespace

TEST(Cors, ReferenceAppTable) {
    const auto c = reference_app();
    const std::string kPreVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
    struct Case {
        const char* name;
        const char* path;
        const char* method;
        Opt origin, acrm, acrh;
        bool matched, preflight, allowed;
        int status;
        std::map<std::string, std::string> headers;
    };
    const Case cases[] = {
        {"preflight_allowed", "/api/data", "OPTIONS", "https://app.example.com", "POST", "content-type, authorization, x-api-key",
         true, true, true, 204,
         {{"Vary", kPreVary}, {"Access-Control-Allow-Origin", "https://app.example.com"},
          {"Access-Control-Allow-Methods", "GET, POST"},
          {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key"},
          {"Access-Control-Max-Age", "600"}}},
        {"preflight_no_headers_asked", "/api/login", "OPTIONS", "http://localhost:3000", "GET", std::nullopt, true, true, true, 204,
         {{"Vary", kPreVary}, {"Access-Control-Allow-Origin", "http://localhost:3000"},
          {"Access-Control-Allow-Methods", "GET, POST"},
          {"Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key"},
          {"Access-Control-Max-Age", "600"}}},
        {"preflight_other_origin", "/api/data", "OPTIONS", "https://evil.test", "POST", std::nullopt, true, true, false, 204, {{"Vary", kPreVary}}},
        {"preflight_method_not_allowed", "/api/data", "OPTIONS", "https://app.example.com", "DELETE", std::nullopt, true, true, false, 204, {{"Vary", kPreVary}}},
        {"preflight_lowercase_method", "/api/data", "OPTIONS", "https://app.example.com", "post", std::nullopt, true, true, false, 204, {{"Vary", kPreVary}}},
        {"preflight_header_not_allowed", "/api/data", "OPTIONS", "https://app.example.com", "POST", "content-type, x-evil", true, true, false, 204, {{"Vary", kPreVary}}},
        {"preflight_bad_header_list", "/api/data", "OPTIONS", "https://app.example.com", "POST", "content type", true, true, false, 204, {{"Vary", kPreVary}}},
        {"preflight_no_origin", "/api/data", "OPTIONS", std::nullopt, "POST", std::nullopt, true, true, false, 204, {{"Vary", kPreVary}}},
        {"simple_get_allowed", "/api/data", "GET", "https://app.example.com", std::nullopt, std::nullopt, true, false, true, 0,
         {{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "https://app.example.com"}}},
        {"simple_get_other_origin", "/api/data", "GET", "https://evil.test", std::nullopt, std::nullopt, true, false, false, 0, {{"Vary", "Origin"}}},
        {"same_origin_no_origin_header", "/api/data", "GET", std::nullopt, std::nullopt, std::nullopt, true, false, false, 0, {{"Vary", "Origin"}}},
        {"plain_options_not_preflight", "/api/data", "OPTIONS", "https://app.example.com", std::nullopt, std::nullopt, true, false, true, 0,
         {{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "https://app.example.com"}}},
        {"prefix_itself", "/api", "GET", "https://app.example.com", std::nullopt, std::nullopt, true, false, true, 0,
         {{"Vary", "Origin"}, {"Access-Control-Allow-Origin", "https://app.example.com"}}},
        {"outside_api_no_cors", "/login", "OPTIONS", "https://app.example.com", "POST", std::nullopt, false, false, false, 0, {}},
        {"apix_not_api", "/apix/data", "GET", "https://app.example.com", std::nullopt, std::nullopt, false, false, false, 0, {}},
        {"case_differs_not_api", "/API/data", "GET", "https://app.example.com", std::nullopt, std::nullopt, false, false, false, 0, {}},
    };
    for (const auto& t : cases) {
        const auto d = c.evaluate(t.path, t.method, t.origin, t.acrm, t.acrh);
        EXPECT_EQ(d.matched, t.matched) << t.name;
        EXPECT_EQ(d.is_preflight, t.preflight) << t.name;
        EXPECT_EQ(d.allowed, t.allowed) << t.name;
        EXPECT_EQ(d.status, t.status) << t.name;
        EXPECT_EQ(as_map(d.headers), t.headers) << t.name;
    }
}

TEST(Cors, CredentialsExposeAndLongestPrefix) {
    const cors::Cors c({{.path_prefix = "/", .origins = {"https://a.test"}},
                        {.path_prefix = "/api/private", .origins = {"https://b.test"}, .methods = {"PUT"},
                         .expose_headers = {"X-Request-ID"}, .allow_credentials = true}});
    auto d = c.evaluate("/api/private/x", "GET", "https://b.test");
    EXPECT_EQ(as_map(d.headers), (std::map<std::string, std::string>{{"Vary", "Origin"},
        {"Access-Control-Allow-Origin", "https://b.test"}, {"Access-Control-Allow-Credentials", "true"},
        {"Access-Control-Expose-Headers", "X-Request-ID"}}));
    d = c.evaluate("/api/private/x", "GET", "https://a.test");  // the longer prefix wins alone
    EXPECT_FALSE(d.allowed);
    d = c.evaluate("/other", "GET", "https://a.test");
    EXPECT_TRUE(d.allowed);
    d = c.evaluate("/api/private", "OPTIONS", "https://b.test", "PUT");
    EXPECT_EQ(as_map(d.headers).count("Access-Control-Allow-Headers"), 0u);  // none configured
    EXPECT_EQ(as_map(d.headers).at("Access-Control-Allow-Methods"), "PUT");
}

TEST(Cors, StarAndNull) {
    const cors::Cors star(std::vector<cors::Policy>{{.path_prefix = "/pub", .origins = {"*"}}});
    auto d = star.evaluate("/pub/x", "GET", "https://anyone.test");
    EXPECT_EQ(as_map(d.headers).at("Access-Control-Allow-Origin"), "*");  // never reflected
    EXPECT_EQ(as_map(d.headers).count("Access-Control-Allow-Credentials"), 0u);
    d = star.evaluate("/pub/x", "GET", "null");
    EXPECT_FALSE(d.allowed);  // "*" does not mean null

    const cors::Cors with_null(std::vector<cors::Policy>{{.path_prefix = "/", .origins = {"null"}}});
    d = with_null.evaluate("/x", "GET", "null");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(as_map(d.headers).at("Access-Control-Allow-Origin"), "null");
}

TEST(Cors, ConfigErrors) {
    struct Case {
        const char* name;
        cors::Policy policy;
    };
    const Case cases[] = {
        {"star_with_credentials", {.origins = {"*"}, .allow_credentials = true}},
        {"star_with_others", {.origins = {"*", "https://a.test"}}},
        {"origin_with_path", {.origins = {"https://a.test/"}}},
        {"origin_upper_case", {.origins = {"https://A.test"}}},
        {"origin_default_port", {.origins = {"https://a.test:443"}}},
        {"origin_no_scheme", {.origins = {"a.test"}}},
        {"origin_userinfo", {.origins = {"https://u@a.test"}}},
        {"wildcard_tld", {.origins = {"https://*.com"}}},
        {"wildcard_inner", {.origins = {"https://a.*.test"}}},
        {"wildcard_partial_label", {.origins = {"https://*a.example.com"}}},
        {"wildcard_scheme", {.origins = {"*://a.example.com"}}},
        {"bare_wildcard_domain", {.origins = {"*.example.com"}}},
        {"regex_like", {.origins = {"https://.*\\.example\\.com"}}},
        {"empty_origin", {.origins = {""}}},
        {"method_star", {.methods = {"*"}}},
        {"header_star", {.allow_headers = {"*"}}},
        {"header_with_space", {.allow_headers = {"X Evil"}}},
        {"expose_crlf", {.expose_headers = {"X\r\nSet-Cookie"}}},
        {"prefix_relative", {.path_prefix = "api"}},
        {"max_age_negative", {.max_age = std::chrono::seconds{-1}}},
        {"max_age_huge", {.max_age = std::chrono::seconds{86401}}},
    };
    for (const auto& c : cases) EXPECT_THROW(cors::Cors(std::vector<cors::Policy>{c.policy}), cors::ConfigError) << c.name;
    EXPECT_THROW(cors::Cors(std::vector<cors::Policy>{{.path_prefix = "/api"}, {.path_prefix = "/api/"}}), cors::ConfigError);
    EXPECT_NO_THROW(cors::Cors(std::vector<cors::Policy>{{.origins = {"https://*.example.com:8443", "https://[::1]:8443", "chrome-extension://abc"}}}));
}

// Attacks from PortSwigger's CORS research: each must get no Access-Control-Allow-Origin.
TEST(Cors, OriginAttackTable) {
    const cors::Cors c({{.path_prefix = "/api",
                         .origins = {"https://*.example.com", "https://app.partner.test", "http://localhost:3000"},
                         .allow_credentials = true}});
    const char* accepted[] = {"https://a.example.com", "https://a-b.example.com", "https://1.example.com",
                              "https://app.partner.test", "http://localhost:3000"};
    for (auto o : accepted) EXPECT_TRUE(c.evaluate("/api/x", "GET", o).allowed) << o;
    using namespace std::string_view_literals;
    const std::string_view refused[] = {
        "https://example.com",                  // the bare domain is not "*."
        "https://evil-example.com",             // suffix without the dot
        "https://evilexample.com",
        "https://a.b.example.com",              // two labels for one star
        "https://.example.com",                 // empty label
        "https://-a.example.com",               // invalid label
        "https://a.example.com.evil.test",      // suffix attack
        "https://a.example.com:8443",           // port differs
        "http://a.example.com",                 // scheme downgrade
        "https://A.example.com",                // not how a browser serialises
        "https://a.example.com/",               // trailing slash
        "https://a.example.com@evil.test",      // userinfo trick
        "https://evil.test#.example.com",
        "https://a_b.example.com",
        "https://app.partner.test.evil.test",   // exact origin as a prefix
        "https://evilapp.partner.test",
        "https://app.partner.tes",
        "http://app.partner.test",
        "https://app.partner.test:443",
        "http://localhost:30001",
        "http://localhost",
        "null",                                 // sandboxed iframe, not listed
        "",
        "*",
        "https://a.example.com\r\nX: y",
        "https://a.example.com\0"sv,           // NUL kept by the length
    };
    for (auto o : refused) {
        const auto d = c.evaluate("/api/x", "GET", o);
        EXPECT_FALSE(d.allowed) << o;
        EXPECT_EQ(as_map(d.headers).count("Access-Control-Allow-Origin"), 0u) << o;
        EXPECT_EQ(as_map(d.headers).at("Vary"), "Origin") << o;
    }
    EXPECT_FALSE(c.evaluate("/api/x", "GET", std::string(5000, 'a')).allowed);
}

TEST(Cors, HeaderListParsing) {
    struct Case {
        const char* name;
        std::string input;
        std::optional<std::vector<std::string>> want;
    };
    const Case cases[] = {
        {"chrome_style", "authorization,content-type", std::vector<std::string>{"authorization", "content-type"}},
        {"spaces_and_case", " Content-Type ,\tX-API-Key ", std::vector<std::string>{"content-type", "x-api-key"}},
        {"empty_elements_skipped", ",a,,b,", std::vector<std::string>{"a", "b"}},
        {"empty", "", std::vector<std::string>{}},
        {"space_inside", "content type", std::nullopt},
        {"colon", "x:y", std::nullopt},
        {"crlf", "a\r\nb", std::nullopt},
        {"non_ascii", "h\xc3\xa9", std::nullopt},
        {"too_long", std::string(cors::kMaxHeaderListBytes + 1, 'a'), std::nullopt},
        {"too_many", [] { std::string s; for (int i = 0; i < 65; ++i) s += "a,"; return s; }(), std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(cors::parse_header_list(c.input), c.want) << c.name;
}
