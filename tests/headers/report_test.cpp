#include <bulwark/headers.hpp>

#include <gtest/gtest.h>

namespace headers = bulwark::headers;

TEST(CspReport, LegacyFormat) {
    const std::string body = R"J({"csp-report":{"document-uri":"https://app.test/reset?token=SECRET#x",
        "referrer":"","violated-directive":"script-src-elem","effective-directive":"script-src-elem",
        "original-policy":"default-src 'self'","disposition":"enforce","blocked-uri":"https://evil.test/x.js?q=1",
        "line-number":12,"column-number":7,"source-file":"https://app.test/app.js","status-code":200,
        "script-sample":"alert(document.cookie)"}})J";
    const auto r = headers::parse_csp_report("application/csp-report", body);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 1u);
    const auto& v = r->front();
    EXPECT_EQ(v.document_uri, "https://app.test/reset");  // token in the query never reaches the log
    EXPECT_EQ(v.blocked_uri, "https://evil.test/x.js");
    EXPECT_EQ(v.effective_directive, "script-src-elem");
    EXPECT_EQ(v.line, 12u);
    EXPECT_EQ(v.column, 7u);
    const auto line = headers::summarize(v);
    EXPECT_EQ(line.find("SECRET"), std::string::npos);
    EXPECT_EQ(line.find("alert"), std::string::npos);  // no script sample
    EXPECT_NE(line.find("directive=\"script-src-elem\""), std::string::npos);
}

TEST(CspReport, ReportingApiFormat) {
    const std::string body = R"([
      {"type":"csp-violation","age":10,"url":"https://app.test/","user_agent":"x",
       "body":{"documentURL":"https://app.test/page","blockedURL":"inline","effectiveDirective":"script-src-elem",
               "originalPolicy":"...","disposition":"report","lineNumber":3,"columnNumber":1,"statusCode":200}},
      {"type":"deprecation","body":{"id":"x"}},
      {"type":"csp-violation","body":{"documentURL":"https://app.test/b","blockedURL":"eval","effectiveDirective":"script-src"}}
    ])";
    const auto r = headers::parse_csp_report("application/reports+json; charset=utf-8", body);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].blocked_uri, "inline");
    EXPECT_EQ((*r)[0].disposition, "report");
    EXPECT_EQ((*r)[1].blocked_uri, "eval");
}

TEST(CspReport, BadInputTable) {
    struct Case {
        const char* name;
        std::string type;
        std::string body;
        headers::ReportError want;
    };
    std::string deep(200, '[');
    const Case cases[] = {
        {"too_large", "application/csp-report", std::string(headers::kMaxReportBody + 1, ' '), headers::ReportError::too_large},
        {"form_type", "application/x-www-form-urlencoded", "{}", headers::ReportError::unsupported_media_type},
        {"no_type", "", "{}", headers::ReportError::unsupported_media_type},
        {"not_json", "application/csp-report", "csp-report=1", headers::ReportError::malformed},
        {"empty", "application/csp-report", "", headers::ReportError::malformed},
        {"wrong_key", "application/csp-report", R"({"report":{}})", headers::ReportError::malformed},
        {"report_not_object", "application/csp-report", R"({"csp-report":"x"})", headers::ReportError::malformed},
        {"scalar", "application/json", "42", headers::ReportError::malformed},
        {"array_of_scalars", "application/reports+json", "[1,2]", headers::ReportError::malformed},
        {"body_not_object", "application/reports+json", R"([{"type":"csp-violation","body":[]}])", headers::ReportError::malformed},
        {"too_deep", "application/reports+json", deep, headers::ReportError::malformed},
        {"trailing_garbage", "application/csp-report", R"({"csp-report":{}} x)", headers::ReportError::malformed},
    };
    for (const auto& c : cases) {
        const auto r = headers::parse_csp_report(c.type, c.body);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error(), c.want) << c.name;
    }
}

TEST(CspReport, SanitisesForTheLog) {
    const std::string body = "{\"csp-report\":{\"document-uri\":\"https://a.test/\\r\\n\\\"injected\\\": 1\","
                             "\"effective-directive\":\"" + std::string(1000, 'x') + "\",\"line-number\":-5,"
                             "\"column-number\":1e300,\"blocked-uri\":\"\\u00e9\\u0000\"}}";
    const auto r = headers::parse_csp_report("application/csp-report", body);
    ASSERT_TRUE(r.ok());
    const auto& v = r->front();
    EXPECT_EQ(v.document_uri.find('\r'), std::string::npos);
    EXPECT_EQ(v.document_uri.find('"'), std::string::npos);
    EXPECT_EQ(v.effective_directive.size(), headers::kMaxReportField);
    EXPECT_EQ(v.line, 0u);
    EXPECT_EQ(v.column, 0u);
    EXPECT_EQ(v.blocked_uri, "???");
    const auto line = headers::summarize(v);
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(CspReport, BatchIsCapped) {
    std::string body = "[";
    for (int i = 0; i < 100; ++i) {
        if (i) body += ',';
        body += R"({"type":"csp-violation","body":{"blockedURL":"inline"}})";
    }
    body += "]";
    const auto r = headers::parse_csp_report("application/reports+json", body);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), headers::kMaxReports);
}
