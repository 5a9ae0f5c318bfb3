// POST /csp-report: the CSP's report-uri, CSRF-exempt, bounded, logged as security events.
#include "fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using bulwark::Headers;
using bulwark::testing::TestClient;

namespace {

const std::string kLegacy =
    R"j({"csp-report":{"document-uri":"http://127.0.0.1/comments?reset=SECRETQUERY#frag",)j"
    R"j("blocked-uri":"inline","effective-directive":"script-src-elem","violated-directive":"script-src-elem",)j"
    R"j("source-file":"http://127.0.0.1/comments","line-number":12,"column-number":7,"disposition":"enforce",)j"
    R"j("original-policy":"default-src 'self'","script-sample":"alert(document.cookie)"}})j";

const std::string kModern =
    R"j([{"type":"csp-violation","age":3,"url":"http://127.0.0.1/","user_agent":"x","body":)j"
    R"j({"documentURL":"http://127.0.0.1/","blockedURL":"eval","effectiveDirective":"script-src",)j"
    R"j("disposition":"enforce","lineNumber":3,"columnNumber":1,"sample":""}},)j"
    R"j({"type":"deprecation","body":{"id":"x"}}])j";

struct Call {
    int status;
    std::string log;  // what reached stderr (the default security-log sink) during the call
};

Call post(TestClient& c, const std::string& content_type, std::string body, Headers extra = {}) {
    if (!content_type.empty()) extra.set("Content-Type", content_type);
    ::testing::internal::CaptureStderr();
    auto r = c.request("POST", "/csp-report", std::move(extra), std::move(body));
    return {r.status, ::testing::internal::GetCapturedStderr()};
}

std::vector<std::string> violation_lines(const std::string& log) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < log.size()) {
        auto end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        auto line = log.substr(start, end - start);
        if (line.find("\"csp_violation\"") != std::string::npos) out.push_back(line);
        start = end + 1;
    }
    return out;
}

struct Case {
    const char* name;
    std::string content_type;
    std::string body;
    int status;
    std::size_t logged;  // csp_violation lines expected
};

TEST(CspReport, AnswersEachReportShapeAndRefusesEverythingElse) {
    reference_test::App a;
    const std::vector<Case> cases = {
        {"legacy_report_uri", "application/csp-report", kLegacy, 204, 1},
        {"legacy_with_charset", "application/csp-report; charset=utf-8", kLegacy, 204, 1},
        {"reporting_api_batch_skips_other_types", "application/reports+json", kModern, 204, 1},
        {"plain_json_legacy_shape", "application/json", kLegacy, 204, 1},
        {"empty_reports_batch", "application/reports+json", "[]", 204, 0},
        {"no_content_type", "", kLegacy, 415, 0},
        {"text_plain", "text/plain", kLegacy, 415, 0},
        {"form_content_type", "application/x-www-form-urlencoded", "csp-report=1", 415, 0},
        {"not_json", "application/csp-report", "<script>", 400, 0},
        {"truncated_json", "application/csp-report", kLegacy.substr(0, 40), 400, 0},
        {"wrong_shape", "application/csp-report", R"j({"report":{}})j", 400, 0},
        {"csp_report_not_object", "application/csp-report", R"j({"csp-report":"x"})j", 400, 0},
        {"batch_item_not_object", "application/reports+json", "[1]", 400, 0},
        {"deep_nesting", "application/csp-report", std::string(200, '[') + std::string(200, ']'), 400, 0},
        {"over_8_KiB", "application/csp-report", std::string(8 * 1024 + 1, ' ') + kLegacy, 413, 0},
        {"empty_body", "application/csp-report", "", 400, 0},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        // A fresh client address per case, so the log guard (per client) never hides a line.
        TestClient client(a.app, "192.0.2." + std::to_string(&c - cases.data() + 1));
        const auto r = post(client, c.content_type, c.body);
        EXPECT_EQ(r.status, c.status);
        EXPECT_EQ(violation_lines(r.log).size(), c.logged) << r.log;
    }
}

TEST(CspReport, LogLineIsOneSafeLineWithoutQueriesOrSamples) {
    reference_test::App a;
    TestClient client(a.app, "198.51.100.7");
    // A field that tries to end the line and forge another event.
    std::string forged = kLegacy;
    forged.replace(forged.find("\"inline\""), 8, R"j("inline\n{\"event\":\"authn_login_success\"}\u2028")j");
    const auto r = post(client, "application/csp-report", forged);
    ASSERT_EQ(r.status, 204);
    const auto lines = violation_lines(r.log);
    ASSERT_EQ(lines.size(), 1u) << r.log;
    const auto& line = lines[0];
    EXPECT_NE(line.find("\"event\":\"input_validation_fail\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"client\":\"198.51.100.7\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"directive\":\"script-src-elem\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"document\":\"http://127.0.0.1/comments\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"line\":12"), std::string::npos) << line;
    EXPECT_EQ(line.find("SECRETQUERY"), std::string::npos) << "query strings may hold tokens";
    EXPECT_EQ(line.find("document.cookie"), std::string::npos) << "script samples are not logged";
    EXPECT_EQ(line.find("\"event\":\"authn_login_success\""), std::string::npos) << line;
    EXPECT_EQ(std::count(r.log.begin(), r.log.end(), '\n'), 1) << r.log;
}

TEST(CspReport, RepeatsFromOneClientAreLoggedOncePerWindow) {
    reference_test::App a;
    TestClient client(a.app, "203.0.113.9");
    EXPECT_EQ(violation_lines(post(client, "application/csp-report", kLegacy).log).size(), 1u);
    for (int i = 0; i < 5; ++i) {
        const auto r = post(client, "application/csp-report", kLegacy);
        EXPECT_EQ(r.status, 204);
        EXPECT_TRUE(violation_lines(r.log).empty()) << r.log;
    }
    // Another client's report is its own key.
    TestClient other(a.app, "203.0.113.10");
    EXPECT_EQ(violation_lines(post(other, "application/csp-report", kLegacy).log).size(), 1u);
}

TEST(CspReport, IsCsrfExemptButNothingElseIs) {
    reference_test::App a;
    TestClient client(a.app, "192.0.2.200");
    Headers cross;
    cross.set("Sec-Fetch-Site", "cross-site");
    cross.set("Origin", "https://evil.example");
    // Browsers post reports with no token; the report route must take them ...
    EXPECT_EQ(post(client, "application/csp-report", kLegacy, cross).status, 204);
    // ... while a form route still refuses the same request.
    cross.set("Content-Type", "application/x-www-form-urlencoded");
    EXPECT_EQ(client.request("POST", "/comment", cross, "comment=x").status, 400);
    EXPECT_EQ(client.get("/csp-report").status, 405);
}

TEST(CspReport, EveryPolicyPointsAtTheEndpoint) {
    reference_test::App a;
    TestClient client(a.app);
    for (const char* path : {"/", "/login", "/does-not-exist"}) {
        SCOPED_TRACE(path);
        const auto csp = std::string(client.get(path).header("Content-Security-Policy").value_or(""));
        EXPECT_NE(csp.find("report-uri /csp-report"), std::string::npos) << csp;
        EXPECT_NE(csp.find("'nonce-"), std::string::npos) << csp;
    }
    const auto r = post(client, "application/csp-report", kLegacy);
    EXPECT_EQ(r.status, 204);
}

}  // namespace
