// sanitize_test.cpp: the sanitizer's allowlist, known mutation-XSS bypasses, and idempotence.
#include "xss_support.hpp"

#include <bulwark/sanitize.hpp>

#include <gtest/gtest.h>

namespace bulwark::tmpl {
namespace {

struct SanitizeCase {
    const char* name;
    const char* input;
    const char* expected;
};

class SanitizeTable : public ::testing::TestWithParam<SanitizeCase> {};

TEST_P(SanitizeTable, ProducesExpected) {
    const auto& c = GetParam();
    auto out = sanitize(c.input);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->str(), c.expected);
}

const SanitizeCase kSanitizeCases[] = {
    {"plain_text", "hello & <world>", "hello &amp; "},
    {"allowed_formatting", "<b>bold</b> <em>em</em>", "<b>bold</b> <em>em</em>"},
    {"script_dropped_with_content", "a<script>alert(1)</script>b", "ab"},
    {"style_dropped_with_content", "a<style>p{}</style>b", "ab"},
    {"iframe_dropped", "a<iframe src=x>inner</iframe>b", "ab"},
    {"unknown_unwrapped", "<foo>text</foo>", "text"},
    {"disallowed_unwrapped", "<div><p>x</p></div>", "<p>x</p>"},
    {"comment_removed", "a<!-- c -->b", "ab"},
    {"event_handler_removed", "<b onclick=\"alert(1)\">x</b>", "<b>x</b>"},
    {"javascript_href_removed", "<a href=\"javascript:alert(1)\">x</a>", "<a rel=\"noopener noreferrer\">x</a>"},
    {"entity_javascript_href_removed", "<a href=\"&#106;avascript&colon;alert(1)\">x</a>", "<a rel=\"noopener noreferrer\">x</a>"},
    {"tab_in_scheme_removed", "<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a rel=\"noopener noreferrer\">x</a>"},
    {"https_link_kept_with_rel", "<a href=\"https://example.com/?a=1&amp;b=2\" rel=\"opener\" target=\"_blank\">x</a>", "<a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener noreferrer\">x</a>"},
    {"relative_link_kept", "<a href=\"/x\">x</a>", "<a href=\"/x\" rel=\"noopener noreferrer\">x</a>"},
    {"img_onerror_removed", "<img src=x onerror=alert(1)>", "<img src=\"x\">"},
    {"img_data_uri_blocked_by_default", "<img src=\"data:image/png;base64,AAAA\">", "<img>"},
    {"style_attribute_removed", "<p style=\"background:url(javascript:alert(1))\">x</p>", "<p>x</p>"},
    {"svg_dropped", "<svg><script>alert(1)</script><a>t</a></svg>ok", "ok"},
    {"math_dropped", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""},
    {"noscript_mxss", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", ""},
    {"svg_style_mxss", "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">", ""},
    {"form_math_mxss", "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>", ""},
    {"xmp_raw_text", "<xmp><p title=\"</xmp><img src=x onerror=alert(1)>\">", "<img src=\"x\">\"&gt;"},
    {"textarea_dropped", "<textarea></textarea><img src=x onerror=alert(1)></textarea>", "<img src=\"x\">"},
    {"template_dropped", "<template><img src=x onerror=alert(1)></template>x", "x"},
    {"cdata_is_text", "<![CDATA[<img src=x onerror=alert(1)>]]>", "]]&gt;"},
    {"attribute_quote_escaped", "<abbr title='a\"b<c'>x</abbr>", "<abbr title=\"a&#34;b&lt;c\">x</abbr>"},
    {"nested_links_split", "<a href=\"/1\">a<a href=\"/2\">b</a></a>", "<a href=\"/1\" rel=\"noopener noreferrer\">a</a><a href=\"/2\" rel=\"noopener noreferrer\">b</a>"},
    {"table_kept", "<table><tr><td colspan=2 onclick=x>1</td></tr></table>", "<table><tbody><tr><td colspan=\"2\">1</td></tr></tbody></table>"},
    {"pre_leading_newline", "<pre>\n\nx</pre>", "<pre>\n\nx</pre>"},
};

INSTANTIATE_TEST_SUITE_P(Allowlist, SanitizeTable, ::testing::ValuesIn(kSanitizeCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Sanitize, IdempotentOnTheVectorCorpus) {
    auto corpus = testing::load_vectors(BULWARK_SOURCE_DIR "/tests/template/xss_vectors.txt");
    for (std::string extra : {"<p>a<div>b</p>c", "<table>x<tr>y<td>z</table>", "<ul><li>a<li>b</ul>",
                              "<b><p>x</b>y</p>", "<a href=/x><p>y</a>", "<h1><h2>x</h1>", "<table><b>x</b><td>y",
                              "<p><table><caption>c</caption></table>", "&amp;lt;script&amp;gt;", "<pre>\nx</pre>"}) {
        corpus.push_back(extra);
    }
    for (const auto& input : corpus) {
        auto once = sanitize(input);
        ASSERT_TRUE(once);
        auto twice = sanitize(once->str());
        ASSERT_TRUE(twice);
        EXPECT_EQ(once->str(), twice->str()) << "input: " << input;
    }
}

TEST(Sanitize, InputOverLimitRefused) {
    SanitizeConfig cfg;
    cfg.max_input_bytes = 10;
    auto out = sanitize("<b>12345678</b>", cfg);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error(), SanitizeError::input_too_large);
}

TEST(Sanitize, DeepNestingDoesNotExhaustTheStack) {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "<span>";
    auto out = sanitize(deep + "x");
    ASSERT_TRUE(out);
    EXPECT_NE(out->str().find('x'), std::string::npos);
}

TEST(Sanitize, ConfigurableAllowlist) {
    SanitizeConfig cfg;
    cfg.tags = {"p", "img"};
    cfg.attributes = {"img:src"};
    cfg.allow_data_images = true;
    auto out = sanitize("<p><b>x</b><img src=\"data:image/png;base64,AAAA\" alt=y></p>", cfg);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->str(), "<p>x<img src=\"data:image/png;base64,AAAA\"></p>");
}

}  // namespace
}  // namespace bulwark::tmpl
