// .env parsing: python-dotenv's rules as a table of valid files, a table of malformed ones
// (each with the line the error names), limits and ${VAR} expansion.
#include <bulwark/config.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using bulwark::config::DotenvErrorCode;
using bulwark::config::parse_dotenv;
using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(const std::vector<bulwark::config::DotenvEntry>& entries) {
    Pairs out;
    for (const auto& e : entries) out.emplace_back(e.key, e.value);
    return out;
}

struct ValidCase {
    const char* name;
    std::string text;
    Pairs expected;
};

TEST(Dotenv, ValidFiles) {
    const std::vector<ValidCase> cases = {
        {"empty", "", {}},
        {"blank_lines_and_comments", "\n\n# a comment\n   # indented comment\n\t\n", {}},
        {"simple", "A=1\nB=two\n", {{"A", "1"}, {"B", "two"}}},
        {"no_final_newline", "A=1", {{"A", "1"}}},
        {"crlf", "A=1\r\nB=2\r\n", {{"A", "1"}, {"B", "2"}}},
        {"lone_cr", "A=1\rB=2", {{"A", "1"}, {"B", "2"}}},
        {"empty_value", "KEY=\n", {{"KEY", ""}}},
        {"empty_value_spaces", "KEY=   \n", {{"KEY", ""}}},
        {"spaces_around_equals", "  KEY  =  value  \n", {{"KEY", "value"}}},
        {"export_prefix", "export KEY=value\n", {{"KEY", "value"}}},
        {"export_tab", "export\tKEY=v\n", {{"KEY", "v"}}},
        {"export_as_key", "export=1\n", {{"export", "1"}}},
        {"key_with_dot_and_digits", "a.b_2=x\n", {{"a.b_2", "x"}}},
        {"unquoted_inner_spaces", "A=hello world\n", {{"A", "hello world"}}},
        {"unquoted_comment", "A=value # comment\n", {{"A", "value"}}},
        {"unquoted_hash_without_space", "A=val#ue\n", {{"A", "val#ue"}}},
        {"unquoted_hash_first", "A=#notcomment\n", {{"A", "#notcomment"}}},
        {"unquoted_keeps_quotes_inside", "A=it's\n", {{"A", "it's"}}},
        {"unquoted_backslash_literal", "A=a\\nb\n", {{"A", "a\\nb"}}},
        {"single_quoted", "A='hello world'\n", {{"A", "hello world"}}},
        {"single_quoted_literal", "A='a\\nb ${X} #x'\n", {{"A", "a\\nb ${X} #x"}}},
        {"single_quoted_escaped_quote", "A='it\\'s'\n", {{"A", "it's"}}},
        {"single_quoted_backslash", "A='a\\\\b'\n", {{"A", "a\\b"}}},
        {"single_quoted_multiline", "A='x\ny'\nB=1\n", {{"A", "x\ny"}, {"B", "1"}}},
        {"double_quoted", "A=\"hello world\"\n", {{"A", "hello world"}}},
        {"double_quoted_escapes", "A=\"a\\nb\\tc\\\\d\\\"e\"\n", {{"A", "a\nb\tc\\d\"e"}}},
        {"double_quoted_unknown_escape_kept", "A=\"a\\qb\"\n", {{"A", "a\\qb"}}},
        {"double_quoted_multiline", "A=\"line1\nline2\"\nB=2\n", {{"A", "line1\nline2"}, {"B", "2"}}},
        {"double_quoted_hash_inside", "A=\"a # b\"\n", {{"A", "a # b"}}},
        {"quoted_then_comment", "A=\"v\" # comment\n", {{"A", "v"}}},
        {"quoted_then_comment_no_space", "A='v'#c\n", {{"A", "v"}}},
        {"quoted_then_spaces", "A='v'   \n", {{"A", "v"}}},
        {"empty_quotes", "A=''\nB=\"\"\n", {{"A", ""}, {"B", ""}}},
        {"duplicate_later_wins_in_order", "A=1\nA=2\n", {{"A", "1"}, {"A", "2"}}},
        {"utf8_value", "A=h\xC3\xA9llo\n", {{"A", "h\xC3\xA9llo"}}},
        {"bom", "\xEF\xBB\xBF" "A=1\n", {{"A", "1"}}},
        {"expand_earlier", "A=x\nB=${A}y\n", {{"A", "x"}, {"B", "xy"}}},
        {"expand_double_quoted", "A=x\nB=\"<${A}>\"\n", {{"A", "x"}, {"B", "<x>"}}},
        {"expand_undefined_empty", "B=[${NOPE}]\n", {{"B", "[]"}}},
        {"expand_default", "B=${NOPE:-fallback}\n", {{"B", "fallback"}}},
        {"expand_default_not_used", "A=1\nB=${A:-z}\n", {{"A", "1"}, {"B", "1"}}},
        {"expand_not_recursive", "A=${B}\nB=${A}\n", {{"A", ""}, {"B", ""}}},
        {"expanded_value_not_reexpanded", "A='${C}'\nB=${A}\n", {{"A", "${C}"}, {"B", "${C}"}}},
        {"dollar_without_brace_literal", "A=$HOME and $(id)\n", {{"A", "$HOME and $(id)"}}},
        {"backticks_literal", "A=`id`\n", {{"A", "`id`"}}},
    };
    for (const auto& c : cases) {
        auto r = parse_dotenv(c.text);
        ASSERT_TRUE(r.ok()) << c.name << ": " << bulwark::config::dotenv_error_name(r.error().code)
                            << " at line " << r.error().line;
        EXPECT_EQ(pairs_of(*r), c.expected) << c.name;
    }
}

TEST(Dotenv, LineNumbersOfEntries) {
    auto r = parse_dotenv("# c\n\nA=1\nB='x\ny'\nC=3\n");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].line, 3u);
    EXPECT_EQ((*r)[1].line, 4u);
    EXPECT_EQ((*r)[2].line, 6u);
}

struct BadCase {
    const char* name;
    std::string text;
    DotenvErrorCode code;
    std::size_t line;
};

TEST(Dotenv, MalformedFilesNameTheLine) {
    const std::vector<BadCase> cases = {
        {"no_equals", "A=1\nJUSTAKEY\n", DotenvErrorCode::missing_equals, 2},
        {"no_equals_at_eof", "A=1\nB", DotenvErrorCode::missing_equals, 2},
        {"key_starts_with_digit", "1A=x\n", DotenvErrorCode::bad_key, 1},
        {"key_with_dash", "A-B=x\n", DotenvErrorCode::bad_key, 1},
        {"key_with_space", "A B=x\n", DotenvErrorCode::bad_key, 1},
        {"empty_key", "=value\n", DotenvErrorCode::bad_key, 1},
        {"quoted_key", "'A'=x\n", DotenvErrorCode::bad_key, 1},
        {"export_alone", "export \n", DotenvErrorCode::bad_key, 1},
        {"unicode_key", "\xC3\xA9=x\n", DotenvErrorCode::bad_key, 1},
        {"unterminated_single", "A=1\n\nB='abc\nC=2\n", DotenvErrorCode::unterminated_quote, 3},
        {"unterminated_double", "A=\"abc\n", DotenvErrorCode::unterminated_quote, 1},
        {"escaped_closing_quote", "A=\"abc\\\"\n", DotenvErrorCode::unterminated_quote, 1},
        {"garbage_after_quote", "A=1\nB=\"x\"y\n", DotenvErrorCode::trailing_garbage, 2},
        {"garbage_after_multiline_quote", "B=\"x\ny\" z\n", DotenvErrorCode::trailing_garbage, 2},
        {"second_quoted_value", "A='x' 'y'\n", DotenvErrorCode::trailing_garbage, 1},
        {"nul_byte", std::string("A=1\nB=x\0y\n", 10), DotenvErrorCode::nul_byte, 2},
        {"unclosed_expansion", "A=${B\n", DotenvErrorCode::bad_expansion, 1},
        {"expansion_bad_name", "A=${B C}\n", DotenvErrorCode::bad_expansion, 1},
        {"expansion_command", "A=${$(id)}\n", DotenvErrorCode::bad_expansion, 1},
        {"expansion_empty_name", "A=${}\n", DotenvErrorCode::bad_expansion, 1},
    };
    for (const auto& c : cases) {
        auto r = parse_dotenv(c.text);
        ASSERT_FALSE(r.ok()) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": got "
                                          << bulwark::config::dotenv_error_name(r.error().code);
        EXPECT_EQ(r.error().line, c.line) << c.name;
    }
}

TEST(Dotenv, Limits) {
    bulwark::config::DotenvLimits small;
    small.max_file_bytes = 64;
    small.max_value_bytes = 8;
    small.max_entries = 2;
    EXPECT_EQ(parse_dotenv(std::string(65, '#'), {}, small).error().code, DotenvErrorCode::too_large);
    EXPECT_TRUE(parse_dotenv("A=12345678\n", {}, small).ok());
    EXPECT_EQ(parse_dotenv("A=123456789\n", {}, small).error().code, DotenvErrorCode::too_large);
    EXPECT_EQ(parse_dotenv("A=\"123456789\"\n", {}, small).error().code, DotenvErrorCode::too_large);
    EXPECT_EQ(parse_dotenv("A='1234567\n89'\n", {}, small).error().code, DotenvErrorCode::too_large);
    EXPECT_EQ(parse_dotenv("A=1\nB=2\nC=3\n", {}, small).error().code, DotenvErrorCode::too_large);
    // Expansion cannot grow a value past the limit either (the "billion laughs" shape).
    EXPECT_EQ(parse_dotenv("A=12345\nB=${A}${A}\n", {}, small).error().code, DotenvErrorCode::too_large);
    // Defaults: 1 MiB file, 64 KiB value.
    EXPECT_TRUE(parse_dotenv("A=" + std::string(64 * 1024, 'x')).ok());
    EXPECT_FALSE(parse_dotenv("A=" + std::string(64 * 1024 + 1, 'x')).ok());
    EXPECT_FALSE(parse_dotenv(std::string(1024 * 1024 + 1, '\n')).ok());
    std::string doubling = "A0=xxxxxxxxxxxxxxxx\n";
    for (int i = 1; i < 20; ++i) {
        doubling += "A" + std::to_string(i) + "=${A" + std::to_string(i - 1) + "}${A" + std::to_string(i - 1) + "}\n";
    }
    EXPECT_EQ(parse_dotenv(doubling).error().code, DotenvErrorCode::too_large);
}

TEST(Dotenv, ExpansionPrefersTheEnvironment) {
    const std::map<std::string, std::string> env = {{"HOME_DIR", "/home/env"}, {"A", "from-env"}};
    auto r = parse_dotenv("A=from-file\nB=${A}\nC=${HOME_DIR}/x\nD='${A}'\n", env);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(pairs_of(*r), (Pairs{{"A", "from-file"}, {"B", "from-env"}, {"C", "/home/env/x"}, {"D", "${A}"}}));
}

}  // namespace
