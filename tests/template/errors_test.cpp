// errors_test.cpp: syntax errors with file/line/column, bad input, limits, and the
// environment (files, cache, development reload, path traversal).
#include <bulwark/template.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

namespace bulwark::tmpl {
namespace {

struct SyntaxCase {
    const char* name;
    const char* source;
    ErrorCode code;
    int line;
    int column;
};

class SyntaxTable : public ::testing::TestWithParam<SyntaxCase> {};

TEST_P(SyntaxTable, ReportsPosition) {
    const auto& c = GetParam();
    Environment env;
    auto t = env.from_string(c.source, "bad.html");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, c.code) << t.error().to_string();
    EXPECT_EQ(t.error().line, c.line) << t.error().to_string();
    EXPECT_EQ(t.error().column, c.column) << t.error().to_string();
    EXPECT_EQ(t.error().file, "bad.html");
}

const SyntaxCase kSyntaxCases[] = {
    {"unterminated_output", "a\n{{ x", ErrorCode::syntax, 2, 5},
    {"unterminated_comment", "{# x", ErrorCode::syntax, 1, 1},
    {"unterminated_string", "{{ 'abc }}", ErrorCode::syntax, 1, 11},
    {"stray_character", "{{ x ; }}", ErrorCode::syntax, 1, 6},
    {"missing_endif", "{% if x %}y", ErrorCode::syntax, 1, 12},
    {"missing_endfor", "\n\n{% for x in y %}", ErrorCode::syntax, 3, 17},
    {"unknown_statement", "{% frobnicate %}", ErrorCode::syntax, 1, 1},
    {"unknown_filter", "{{ x|nope }}", ErrorCode::syntax, 1, 6},
    {"unknown_test", "{{ x is nope }}", ErrorCode::syntax, 1, 6},
    {"stray_endif", "{% endif %}", ErrorCode::syntax, 1, 1},
    {"empty_output", "{{ }}", ErrorCode::syntax, 1, 4},
    {"bad_for", "{% for in xs %}{% endfor %}", ErrorCode::syntax, 1, 11},
    {"endblock_name_mismatch", "{% block a %}{% endblock b %}", ErrorCode::syntax, 1, 26},
    {"duplicate_block", "{% block a %}{% endblock %}{% block a %}{% endblock %}", ErrorCode::syntax, 1, 28},
    {"dynamic_include", "{% include name %}", ErrorCode::syntax, 1, 12},
    {"missing_include", "\n{% include 'nope.html' %}", ErrorCode::not_found, 2, 1},
    {"traversal_include", "{% include '../etc/passwd' %}", ErrorCode::not_found, 1, 1},
    {"absolute_extends", "{% extends '/etc/passwd' %}", ErrorCode::not_found, 1, 1},
    {"integer_too_large", "{{ 99999999999999999999 }}", ErrorCode::syntax, 1, 4},
    {"super_outside_block", "{{ super() }}", ErrorCode::unsafe_context, 1, 1},
    {"loop_bad_attribute", "{% for x in y %}{{ loop.nope }}{% endfor %}", ErrorCode::syntax, 1, 24},
};

INSTANTIATE_TEST_SUITE_P(Load, SyntaxTable, ::testing::ValuesIn(kSyntaxCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Limits, NestingDepthBounded) {
    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "{% if x %}";
    Environment env;
    auto t = env.from_string(deep);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::too_deep);
    std::string expr = "{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}";
    auto e = env.from_string(expr);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::too_deep);
}

TEST(Limits, TemplateSizeBounded) {
    Config cfg;
    cfg.limits.max_template_bytes = 16;
    Environment env(cfg);
    auto t = env.from_string(std::string(17, 'x'));
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::too_large);
}

TEST(Limits, OutputSizeBounded) {
    Config cfg;
    cfg.limits.max_output_bytes = 1000;
    Environment env(cfg);
    auto t = env.from_string("{% for a in xs %}{% for b in xs %}{{ s }}{% endfor %}{% endfor %}");
    ASSERT_TRUE(t);
    List xs(100, Value(1));
    auto out = t->render({{"xs", Value(xs)}, {"s", Value("0123456789")}});
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::output_too_large);
}

TEST(Limits, IncludeRecursionBounded) {
    Environment env;
    env.add_source("loop.html", "x{% include 'loop.html' %}");
    auto t = env.get("loop.html");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, ErrorCode::too_deep);
    env.add_source("a.html", "{% extends 'b.html' %}");
    env.add_source("b.html", "{% extends 'a.html' %}");
    auto e = env.get("a.html");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::too_deep);
}

TEST(Limits, MacroRecursionBounded) {
    Environment env;
    auto t = env.from_string("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}");
    ASSERT_TRUE(t) << t.error().to_string();
    auto out = t->render({});
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, ErrorCode::too_deep);
}

TEST(Limits, RuntimeErrorsAreResultsNotCrashes) {
    Environment env;
    for (const char* src : {"{{ 1 // 0 }}", "{{ 1 % 0 }}", "{{ 'a' - 1 }}", "{{ x() }}", "{{ loop.index }}",
                            "{{ 1 < 'a' }}", "{{ -'a' }}"}) {
        auto t = env.from_string(src);
        ASSERT_TRUE(t) << src;
        auto out = t->render({{"x", Value(1)}});
        EXPECT_FALSE(out) << src;
    }
}

class FileEnvironment : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("bulwark_tmpl_" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_ / "sub");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
    std::filesystem::path dir_;
};

TEST_F(FileEnvironment, LoadsCachesAndReloadsInDevelopment) {
    write("sub/page.html", "{% extends 'layout.html' %}{% block b %}v1 {{ x }}{% endblock %}");
    write("layout.html", "<main>{% block b %}{% endblock %}</main>");
    Environment prod({.root = dir_, .auto_reload = false, .limits = {}});
    Environment dev({.root = dir_, .auto_reload = true, .limits = {}});
    EXPECT_EQ(*prod.render("sub/page.html", {{"x", Value("<")}}), "<main>v1 &lt;</main>");
    EXPECT_EQ(*dev.render("sub/page.html", {}), "<main>v1 </main>");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    write("layout.html", "<section>{% block b %}{% endblock %}</section>");
    auto t = std::filesystem::last_write_time(dir_ / "layout.html");
    std::filesystem::last_write_time(dir_ / "layout.html", t + std::chrono::seconds(2));
    EXPECT_EQ(*dev.render("sub/page.html", {}), "<section>v1 </section>");
    EXPECT_EQ(*prod.render("sub/page.html", {}), "<main>v1 </main>");  // cached: parsed once
}

TEST_F(FileEnvironment, SyntaxErrorNamesTheFile) {
    write("broken.html", "ok\n{% if %}");
    Environment env({.root = dir_, .auto_reload = false, .limits = {}});
    auto t = env.get("broken.html");
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().to_string(), "broken.html:2:7: expected an expression");
}

TEST_F(FileEnvironment, RefusesNamesOutsideRoot) {
    Environment env({.root = dir_ / "sub", .auto_reload = false, .limits = {}});
    write("secret.html", "secret");
    for (const char* name : {"../secret.html", "/etc/passwd", "sub/../../secret.html", "a\\b", "", "./x"}) {
        auto t = env.get(name);
        ASSERT_FALSE(t) << name;
        EXPECT_EQ(t.error().code, ErrorCode::not_found) << name;
    }
}

// A '<' that ends one piece of text, followed by a piece that starts with no tag name, is a
// literal '<' (the fuzzer found this shape looping forever).
TEST(Regression, LessThanBeforeACommentThenText) {
    Environment env;
    auto t = env.from_string("<p>a </{# c #}{ b</p>", "split.html");
    ASSERT_TRUE(t) << t.error().to_string();
    auto u = env.from_string("<p>a <{# c #}1 b</p>", "split2.html");
    ASSERT_TRUE(u) << u.error().to_string();
}

}  // namespace
}  // namespace bulwark::tmpl
