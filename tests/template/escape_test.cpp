// escape_test.cpp: contextual escaping, as attack tables: (template, untrusted value, output),
// and the templates the escaper must refuse at load time.
#include <bulwark/template.hpp>

#include <gtest/gtest.h>

namespace bulwark::tmpl {
namespace {

struct EscapeCase {
    const char* name;
    const char* source;
    const char* value;
    const char* expected;
};

class EscapeTable : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(EscapeTable, EscapesForContext) {
    const auto& c = GetParam();
    Environment env;
    auto t = env.from_string(c.source, c.name);
    ASSERT_TRUE(t) << t.error().to_string();
    auto out = t->render({{"v", Value(c.value)}, {"n", Value(42)}});
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(*out, c.expected);
}

const EscapeCase kEscapeCases[] = {
    {"text", "<p>{{ v }}</p>", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
    {"text_quotes", "<p>{{ v }}</p>", "\"'&", "<p>&#34;&#39;&amp;</p>"},
    {"rcdata_title", "<title>{{ v }}</title>", "</title><script>", "<title>&lt;/title&gt;&lt;script&gt;</title>"},
    {"attr_quoted_breakout", "<div title=\"{{ v }}\"></div>", "\" onclick=\"alert(1)", "<div title=\"&#34; onclick=&#34;alert(1)\"></div>"},
    {"attr_single_breakout", "<div title='{{ v }}'></div>", "' onclick='alert(1)", "<div title='&#39; onclick=&#39;alert(1)'></div>"},
    {"attr_unquoted_breakout", "<div title={{ v }}></div>", "x onclick=alert(1)", "<div title=x&#32;onclick&#61;alert(1)></div>"},
    {"attr_unquoted_empty", "<div title={{ v }}></div>", "", "<div title=ZbulwarkZ></div>"},
    {"url_javascript", "<a href=\"{{ v }}\">x</a>", "javascript:alert(1)", "<a href=\"#blocked\">x</a>"},
    {"url_javascript_mixed_case_and_space", "<a href=\"{{ v }}\">x</a>", " \tJaVa\nScRiPt:alert(1)", "<a href=\"#blocked\">x</a>"},
    {"url_vbscript", "<a href=\"{{ v }}\">x</a>", "vbscript:msgbox(1)", "<a href=\"#blocked\">x</a>"},
    {"url_data_html", "<a href=\"{{ v }}\">x</a>", "data:text/html,<script>alert(1)</script>", "<a href=\"#blocked\">x</a>"},
    {"url_data_image_allowed", "<img src=\"{{ v }}\">", "data:image/png;base64,iVBORw0KGgo=", "<img src=\"data:image/png;base64,iVBORw0KGgo=\">"},
    {"url_data_svg_blocked", "<img src=\"{{ v }}\">", "data:image/svg+xml;base64,PHN2Zz4=", "<img src=\"#blocked\">"},
    {"url_https_normalized", "<a href=\"{{ v }}\">x</a>", "https://example.com/a b?q=\"x\"", "<a href=\"https://example.com/a%20b?q=%22x%22\">x</a>"},
    {"url_relative", "<a href=\"{{ v }}\">x</a>", "/path?a=1&b=2", "<a href=\"/path?a=1&amp;b=2\">x</a>"},
    {"url_formaction", "<button formaction=\"{{ v }}\">x</button>", "javascript:alert(1)", "<button formaction=\"#blocked\">x</button>"},
    {"url_action_unquoted", "<form action={{ v }}></form>", "javascript:alert(1)", "<form action=#blocked></form>"},
    {"url_path_colon_encoded", "<a href=\"j{{ v }}\">x</a>", "avascript:alert(1)", "<a href=\"javascript%3Aalert%281%29\">x</a>"},
    {"url_query_fully_encoded", "<a href=\"/s?q={{ v }}\">x</a>", "a&b=c d#e", "<a href=\"/s?q=a%26b%3Dc%20d%23e\">x</a>"},
    {"url_second_part_cannot_add_scheme", "<a href=\"{{ v }}{{ v }}\">x</a>", "java", "<a href=\"javajava\">x</a>"},
    {"event_handler_value", "<button onclick=\"f({{ v }})\">x</button>", "');alert(1)//", "<button onclick=\"f( &#34;\\u0027);alert(1)//&#34; )\">x</button>"},
    {"event_handler_string", "<button onclick=\"f('{{ v }}')\">x</button>", "');alert(1)//", "<button onclick=\"f('\\u0027);alert(1)\\u002F\\u002F')\">x</button>"},
    {"event_handler_number", "<button onclick=\"f({{ n }})\">x</button>", "", "<button onclick=\"f( 42 )\">x</button>"},
    {"script_value", "<script>var x = {{ v }};</script>", "</script><script>alert(1)</script>", "<script>var x =  \"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\" ;</script>"},
    {"script_string", "<script>var x = \"{{ v }}\";</script>", "\";alert(1)//\n", "<script>var x = \"\\u0022;alert(1)\\u002F\\u002F\\u000A\";</script>"},
    {"script_line_separator", "<script>var x = '{{ v }}';</script>", "a\xE2\x80\xA8" "b", "<script>var x = 'a\\u2028b';</script>"},
    {"script_tojson_is_json_once", "<script>var x = {{ v|tojson }};</script>", "<b>", "<script>var x =  \"\\u003cb\\u003e\" ;</script>"},
    {"style_attr_value", "<div style=\"color: {{ v }}\"></div>", "red", "<div style=\"color: red\"></div>"},
    {"style_attr_injection", "<div style=\"color: {{ v }}\"></div>", "red; background: url(javascript:alert(1))", "<div style=\"color: ZbulwarkZ\"></div>"},
    {"style_expression", "<div style=\"width: {{ v }}\"></div>", "expression(alert(1))", "<div style=\"width: ZbulwarkZ\"></div>"},
    {"style_element_breakout", "<style>p { color: {{ v }} }</style>", "</style><script>alert(1)</script>", "<style>p { color: ZbulwarkZ }</style>"},
    {"style_string", "<style>p { font-family: \"{{ v }}\" }</style>", "\"}</style>", "<style>p { font-family: \"\\22 \\7D \\3C \\2F style\\3E \" }</style>"},
    {"srcdoc_double_escaped", "<iframe srcdoc=\"{{ v }}\"></iframe>", "<script>alert(1)</script>", "<iframe srcdoc=\"&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;\"></iframe>"},
    {"safe_on_plain_string_still_escapes", "<p>{{ v|safe }}</p>", "<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>"},
    {"textarea", "<textarea>{{ v }}</textarea>", "</textarea><script>", "<textarea>&lt;/textarea&gt;&lt;script&gt;</textarea>"},
    {"entity_decoded_js_string_context", "<a onclick=\"f(&quot;{{ v }}&quot;)\">x</a>", "\"-alert(1)-\"", "<a onclick=\"f(&quot;\\u0022-alert(1)-\\u0022&quot;)\">x</a>"},
    {"conditional_attribute", "<input {% if v %}checked{% endif %} value=\"{{ v }}\">", "\"x", "<input checked value=\"&#34;x\">"},
};

INSTANTIATE_TEST_SUITE_P(Contexts, EscapeTable, ::testing::ValuesIn(kEscapeCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Escape, NulBecomesReplacementCharacter) {
    Environment env;
    auto t = env.from_string("<p>{{ v }}</p>");
    ASSERT_TRUE(t);
    auto out = t->render({{"v", Value(std::string("a\0b", 3))}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "<p>a\xEF\xBF\xBD" "b</p>");
}

TEST(Escape, SafeHtmlPassesOnlyInHtmlText) {
    Environment env;
    auto t = env.from_string("<p>{{ h|safe }}</p><a title=\"{{ h }}\" href=\"{{ h }}\">x</a><script>var s = {{ h }};</script>");
    ASSERT_TRUE(t) << t.error().to_string();
    auto out = t->render({{"h", Value(SafeHtml::trusted_from_literal("<b>\"hi\"</b>"))}});
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "<p><b>\"hi\"</b></p><a title=\"&lt;b&gt;&#34;hi&#34;&lt;/b&gt;\" href=\"%3Cb%3E%22hi%22%3C/b%3E\">x</a>"
                    "<script>var s =  \"\\u003cb\\u003e\\\"hi\\\"\\u003c/b\\u003e\" ;</script>");
}

struct RefuseCase {
    const char* name;
    const char* source;
    int line;
    int column;
};

class RefuseTable : public ::testing::TestWithParam<RefuseCase> {};

TEST_P(RefuseTable, RefusedAtLoadWithPosition) {
    const auto& c = GetParam();
    Environment env;
    auto t = env.from_string(c.source, "page.html");
    ASSERT_FALSE(t) << "loaded: " << c.source;
    EXPECT_EQ(t.error().code, ErrorCode::unsafe_context) << t.error().to_string();
    EXPECT_EQ(t.error().file, "page.html");
    EXPECT_EQ(t.error().line, c.line) << t.error().to_string();
    EXPECT_EQ(t.error().column, c.column) << t.error().to_string();
}

const RefuseCase kRefuseCases[] = {
    {"tag_name", "<{{ v }}>", 1, 2},
    {"end_tag_name", "</{{ v }}>", 1, 3},
    {"partial_tag_name", "<di{{ v }}>", 1, 4},
    {"attribute_name", "<div {{ v }}=1>", 1, 6},
    {"attribute_name_partial", "<div on{{ v }}=1>", 1, 8},
    {"after_attribute_name", "<div title {{ v }}>", 1, 12},
    {"html_comment", "<!-- {{ v }} -->", 1, 6},
    {"bogus_comment", "<!doctype {{ v }}>", 1, 11},
    {"js_line_comment", "<script>// {{ v }}\n</script>", 1, 12},
    {"js_block_comment", "<script>/* {{ v }} */</script>", 1, 12},
    {"js_regexp", "<script>var r = /{{ v }}/;</script>", 1, 18},
    {"js_template_literal", "<script>var s = `{{ v }}`;</script>", 1, 18},
    {"css_comment", "<style>/* {{ v }} */</style>", 1, 11},
    {"branches_differ", "{% if a %}<a href=\"{% endif %}{{ v }}", 1, 1},
    {"branches_differ_else", "<p {% if a %}title=\"x{% else %}id=y{% endif %}\">", 1, 4},
    {"loop_changes_context", "<div>\n{% for x in xs %}<a href=\"{% endfor %}", 2, 1},
    {"macro_leaves_context", "{% macro m() %}<a href=\"{% endmacro %}", 1, 1},
    {"equals_after_ambiguous_join", "<a {% if c %}href{% else %}title{% endif %}=\"{{ v }}\">", 1, 44},
};

INSTANTIATE_TEST_SUITE_P(LoadTime, RefuseTable, ::testing::ValuesIn(kRefuseCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bulwark::tmpl
