// render_test.cpp: the Jinja subset, as a table of named cases (template, context, output).
#include <bulwark/template.hpp>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace bulwark::tmpl {
namespace {

struct RenderCase {
    const char* name;
    const char* source;
    const char* context_json;
    const char* expected;
};

Map context_from(const char* json) {
    Value v = Value::from_json(boost::json::parse(json));
    return v.is_map() ? v.as_map() : Map{};
}

class RenderTable : public ::testing::TestWithParam<RenderCase> {};

TEST_P(RenderTable, RendersExpectedOutput) {
    const auto& c = GetParam();
    Environment env;
    env.add_source("macros.html", "{% macro tag(name, cls='x') %}<span class=\"{{ cls }}\">{{ name }}</span>{% endmacro %}");
    env.add_source("part.html", "<i>{{ who }}</i>");
    env.add_source("base.html", "<html><title>{% block title %}Site{% endblock %}</title><body>{% block body %}base{% endblock %}</body></html>");
    env.add_source("mid.html", "{% extends \"base.html\" %}{% block body %}[mid {% block inner %}i{% endblock %}]{% endblock %}");
    auto t = env.from_string(c.source, c.name);
    ASSERT_TRUE(t) << t.error().to_string();
    auto out = t->render(context_from(c.context_json), {.csp_nonce = "N0NCE", .csrf_token = "T0KEN"});
    ASSERT_TRUE(out) << out.error().to_string();
    EXPECT_EQ(*out, c.expected);
}

const RenderCase kRenderCases[] = {
    {"text", "hello", "{}", "hello"},
    {"variable", "{{ name }}", R"({"name":"Ann"})", "Ann"},
    {"undefined_is_empty", "[{{ nope }}]", "{}", "[]"},
    {"attribute_access", "{{ user.name }}", R"({"user":{"name":"Bo"}})", "Bo"},
    {"index_access", "{{ xs[1] }}{{ xs[-1] }}{{ m['k'] }}", R"({"xs":[1,2,3],"m":{"k":"v"}})", "23v"},
    {"missing_attribute", "[{{ user.nope.deeper }}]", R"({"user":{}})", "[]"},
    {"literals", "{{ 'a' }}{{ \"b\" }}{{ 3 }}{{ 2.5 }}{{ true }}{{ none }}", "{}", "ab32.5true"},
    {"arithmetic", "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 7 / 2 }} {{ -3 }}", "{}", "7 3 1 3.5 -3"},
    {"concat", "{{ 'a' ~ 1 ~ none }}", "{}", "a1"},
    {"comparisons", "{{ 1 < 2 }}{{ 2 <= 1 }}{{ 'a' == 'a' }}{{ 1 != 1.0 }}", "{}", "truefalsetruefalse"},
    {"boolean_logic", "{{ x and y }}|{{ x or y }}|{{ not x }}", R"({"x":"X","y":""})", "|X|false"},
    {"in_operator", "{{ 'b' in 'abc' }}{{ 2 in xs }}{{ 'k' in m }}{{ 9 not in xs }}", R"({"xs":[1,2],"m":{"k":1}})", "truetruetruetrue"},
    {"conditional_expression", "{{ 'y' if ok else 'n' }}", R"({"ok":false})", "n"},
    {"list_and_map_literals", "{{ [1,2]|length }}{{ {'a': 1}.a }}", "{}", "21"},
    {"if_elif_else", "{% if n > 1 %}many{% elif n == 1 %}one{% else %}none{% endif %}", R"({"n":1})", "one"},
    {"for_loop", "{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", R"({"xs":["a","b"]})", "1:a,2:b"},
    {"loop_fields", "{% for x in xs %}{{ loop.index0 }}{{ loop.first }}{{ loop.length }}{{ loop.revindex }} {% endfor %}", R"({"xs":[7,8]})", "0true22 1false21 "},
    {"for_else", "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", R"({"xs":[]})", "empty"},
    {"for_over_map_items", "{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}", R"({"m":{"a":1,"b":2}})", "a=1;b=2;"},
    {"nested_loops", "{% for r in rows %}{% for c in r %}{{ c }}{% endfor %}/{% endfor %}", R"({"rows":[[1,2],[3]]})", "12/3/"},
    {"set", "{% set x = 2 * 21 %}{{ x }}", "{}", "42"},
    {"set_in_loop_does_not_leak", "{% set x = 1 %}{% for i in [5] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", "{}", "51"},
    {"comment", "a{# hidden {{ x }} #}b", "{}", "ab"},
    {"whitespace_control", "<ul>\n  {%- for x in xs %}\n  <li>{{ x }}</li>\n  {%- endfor %}\n</ul>", R"({"xs":[1,2]})", "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>"},
    {"whitespace_control_output", "a  {{- 'b' -}}  c", "{}", "abc"},
    {"filter_upper_lower", "{{ 'aB'|upper }}{{ 'aB'|lower }}", "{}", "ABab"},
    {"filter_length", "{{ xs|length }}{{ 'h\u00e9'|length }}", R"({"xs":[1,2,3]})", "32"},
    {"filter_default", "{{ nope|default('d') }}{{ ''|default('e', true) }}{{ 'x'|default('f') }}", "{}", "dex"},
    {"filter_truncate", "{{ 'hello wonderful world of templates'|truncate(15) }}", "{}", "hello..."},
    {"filter_truncate_short", "{{ 'short'|truncate(10) }}", "{}", "short"},
    {"filter_truncate_utf8", "{{ 'h\u00e9llo w\u00f6rld of m\u00e1ny templates'|truncate(12) }}", "{}", "h\u00e9llo..."},
    {"filter_truncate_utf8_killwords", "{{ 'h\u00e9llo w\u00f6rld of m\u00e1ny templates'|truncate(12, true) }}", "{}", "h\u00e9llo w\u00f6r..."},
    {"filter_truncate_all_multibyte", "{{ '\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9'|truncate(3, true, '') }}", "{}", "\u00e9\u00e9\u00e9"},
    {"filter_truncate_custom_end", "{{ 'hello wonderful world of templates'|truncate(10, false, '~') }}", "{}", "hello~"},
    {"filter_truncate_from_context", "{{ s|truncate(5) }}", R"({"s":"abcdefghijklmnop"})", "ab..."},
    {"filter_computed_arguments", "{{ 'abc'|replace('b' ~ '', x ~ 'Y') }} {{ 'hello wonderful world'|truncate(5 + 5, false, '!' ~ '?', nope.x) }}",
     R"({"x":"<X>"})", "a&lt;X&gt;Yc hello!?"},
    {"filter_aliases", "{{ xs|count }}{{ nope|d(5) }}{{ '<'|e }}", R"({"xs":[1,2]})", "25&lt;"},
    {"tests_by_name", "{{ 3 is odd }}{{ 4 is even }}{{ 3 is even }}{{ 1.5 is number }}{{ 's' is string }}{{ none is none }}{{ m is mapping }}{{ xs is iterable }}{{ 2 is undefined }}",
     R"({"xs":[1],"m":{}})", "truetruefalsetruetruetruetruetruefalse"},
    {"integers_at_the_limits", "{{ 9223372036854775807 }} {{ -9223372036854775807 - 1 }} {{ 0 }} {{ -42 }} {{ n }}", R"({"n":-7})",
     "9223372036854775807 -9223372036854775808 0 -42 -7"},
    {"attribute_chain_on_loop_variable", "{% for r in rows %}[{{ r.a.b }}{{ r.a.nope }}{{ r.nope.b }}]{% endfor %}", R"({"rows":[{"a":{"b":"<1>"}},{"a":{}}]})",
     "[&lt;1&gt;][]"},
    {"attribute_of_a_literal_is_undefined", "[{{ 'x'.y }}{{ 'x'.y is defined }}]", "{}", "[false]"},
    {"attribute_of_a_computed_value", "{{ ({'k': '<v>'}).k }}{{ [{'k': 2}][0].k }}", "{}", "&lt;v&gt;2"},
    {"filter_join", "{{ xs|join(', ') }}", R"({"xs":["a","b",1]})", "a, b, 1"},
    {"filter_striptags", "{{ '<b>bold</b>  and <i>it</i>'|striptags }}", "{}", "bold and it"},
    {"filter_urlencode", "{{ 'a b&c/d'|urlencode }}", "{}", "a%20b%26c%2Fd"},
    {"filter_tojson_in_text", "{{ m|tojson }}", R"({"m":{"a":"<x>"}})", "{&#34;a&#34;:&#34;\\u003cx\\u003e&#34;}"},
    {"filter_chain", "{{ ' Ab '|trim|lower|upper }}", "{}", "AB"},
    {"filter_escape_is_not_double", "{{ '<'|escape }}{{ '<'|e }}", "{}", "&lt;&lt;"},
    {"test_defined", "{{ x is defined }}{{ y is defined }}{{ y is not defined }}", R"({"x":1})", "truefalsetrue"},
    {"macro_call", "{% macro hi(n, p='!') %}<b>{{ n }}{{ p }}</b>{% endmacro %}{{ hi('<x>') }}{{ hi('y', '?') }}", "{}", "<b>&lt;x&gt;!</b><b>y?</b>"},
    {"include", "<p>{% include \"part.html\" %}</p>", R"({"who":"<me>"})", "<p><i>&lt;me&gt;</i></p>"},
    {"extends_blocks", "{% extends \"base.html\" %}{% block title %}T<{{ t }}>{% endblock %}{% block body %}B{% endblock %}", R"({"t":"&"})", "<html><title>T<&amp;></title><body>B</body></html>"},
    {"extends_default_block", "{% extends \"base.html\" %}{% block title %}X{% endblock %}", "{}", "<html><title>X</title><body>base</body></html>"},
    {"extends_super", "{% extends \"base.html\" %}{% block body %}[{{ super() }}]{% endblock %}", "{}", "<html><title>Site</title><body>[base]</body></html>"},
    {"extends_two_levels", "{% extends \"mid.html\" %}{% block inner %}I{% endblock %}", "{}", "<html><title>Site</title><body>[mid I]</body></html>"},
    {"csp_nonce_and_csrf", "<script nonce=\"{{ csp_nonce() }}\"></script><input name=csrf_token value=\"{{ csrf_token() }}\">", "{}", "<script nonce=\"N0NCE\"></script><input name=csrf_token value=\"T0KEN\">"},
    {"int_overflow_becomes_double", "{{ 9223372036854775807 + 1 }}", "{}", "9.223372036854776e+18"},
};

INSTANTIATE_TEST_SUITE_P(Jinja, RenderTable, ::testing::ValuesIn(kRenderCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Value, FromJsonCoversEveryKind) {
    Value v = Value::from_json(boost::json::parse(R"({"n":null,"b":true,"i":-3,"u":18446744073709551615,"d":1.5,"s":"x","l":[1],"m":{"k":"v"}})"));
    ASSERT_TRUE(v.is_map());
    EXPECT_TRUE(v.find("n")->is_null());
    EXPECT_TRUE(v.find("b")->as_bool());
    EXPECT_EQ(v.find("i")->as_int(), -3);
    EXPECT_TRUE(v.find("u")->is_double());
    EXPECT_EQ(v.find("d")->as_double(), 1.5);
    EXPECT_EQ(v.find("s")->as_string(), "x");
    EXPECT_EQ(v.find("l")->as_list().size(), 1u);
    EXPECT_EQ(v.find("m")->find("k")->as_string(), "v");
}

TEST(ToJson, EscapesEverythingThatCouldEndAScriptOrAttribute) {
    Value v = Map{{"k", Value("</script><!--'&\xE2\x80\xA8\xE2\x80\xA9\"\\")}};
    EXPECT_EQ(to_json_for_html(v), R"({"k":"\u003c/script\u003e\u003c!--\u0027\u0026\u2028\u2029\"\\"})");
}

}  // namespace
}  // namespace bulwark::tmpl
