#include <bulwark/headers.hpp>

#include <gtest/gtest.h>

namespace headers = bulwark::headers;

TEST(CspBuilder, AddReplaceRemoveReport) {
    auto csp = headers::Csp::strict();
    csp.add("img-src", "'self'").add("img-src", "data:").add("img-src", "data:");  // no duplicate
    csp.set("frame-ancestors", {"'none'"});
    csp.remove("form-action");
    csp.report_uri("/csp-report").report_to("csp");
    EXPECT_EQ(csp.render("N"),
              "default-src 'self'; script-src 'nonce-N' 'strict-dynamic'; style-src 'self' 'nonce-N'; "
              "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; img-src 'self' data:; "
              "report-uri /csp-report; report-to csp");
    EXPECT_EQ(csp.header_name(), "Content-Security-Policy");
    csp.mode(headers::CspMode::report_only);
    EXPECT_EQ(csp.header_name(), "Content-Security-Policy-Report-Only");
    ASSERT_NE(csp.sources("img-src"), nullptr);
    EXPECT_EQ(csp.sources("form-action"), nullptr);
}

TEST(CspBuilder, PerRouteOverrideLeavesAppPolicyAlone) {
    headers::Policy app;
    headers::Policy embed = app;  // a route that may be framed by a partner
    embed.csp->set("frame-ancestors", {"https://partner.example"});
    embed.frame_options.reset();
    const auto a = headers::compute(app, {.nonce = "n"});
    const auto e = headers::compute(embed, {.nonce = "n"});
    EXPECT_NE(a.front().second.find("frame-ancestors 'self'"), std::string::npos);
    EXPECT_NE(e.front().second.find("frame-ancestors https://partner.example"), std::string::npos);
    EXPECT_EQ(e.size() + 1, a.size());
}

TEST(CspBuilder, RefusesInjection) {
    struct Case {
        const char* name;
        const char* directive;
        const char* source;
    };
    const Case cases[] = {
        {"semicolon_adds_directive", "script-src", "'self'; script-src *"},
        {"comma_second_policy", "script-src", "a,b"},
        {"space_two_sources", "img-src", "a b"},
        {"crlf", "img-src", "a\r\nX: y"},
        {"empty_source", "img-src", ""},
        {"upper_directive", "Script-Src", "'self'"},
        {"directive_with_space", "script src", "'self'"},
        {"empty_directive", "", "'self'"},
        {"non_ascii", "img-src", "h\xc3\xa9llo"},
    };
    for (const auto& c : cases) {
        auto csp = headers::Csp::strict();
        EXPECT_THROW(csp.add(c.directive, c.source), headers::ConfigError) << c.name;
        EXPECT_THROW(csp.set(c.directive, {c.source}), headers::ConfigError) << c.name;
    }
    EXPECT_THROW(headers::Csp().report_uri("/a;b"), headers::ConfigError);
}
