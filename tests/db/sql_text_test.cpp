// Unit tests of the literal check, the placeholder rewrite and the URL parser.
#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include <set>

namespace bulwark::db {
namespace {

using detail::scan_sql;

// The literal check runs at compile time.
static_assert(Sql("SELECT ? , ?").placeholder_count() == 2);
static_assert(Sql("SELECT '?', \"?\", `?` -- ?\n /* ? */ FROM t WHERE a = ?").placeholder_count() == 1);
static_assert(Sql("SELECT 1;  -- trailing comment").placeholder_count() == 0);
static_assert(Sql("SELECT E'\\'?' , ?").placeholder_count() == 1);
static_assert(Sql("SELECT 'it''s ?' , ?").placeholder_count() == 1);

std::size_t count(std::string_view s) { return scan_sql(s, [](std::size_t) {}).placeholders; }
const char* error(std::string_view s) { return scan_sql(s, [](std::size_t) {}).error; }

TEST(ScanSql, CountsOnlyPlaceholdersOutsideQuotesAndComments) {
    struct Case {
        const char* name;
        std::string_view sql;
        std::size_t placeholders;
    };
    const Case cases[] = {
        {"plain", "SELECT * FROM t WHERE a = ? AND b = ?", 2},
        {"single_quoted", "SELECT '?'", 0},
        {"doubled_quote", "SELECT 'a''?''b', ?", 1},
        {"double_quoted_identifier", "SELECT \"col?\" FROM t WHERE x = ?", 1},
        {"backtick_identifier", "SELECT `a?b` FROM t", 0},
        {"line_comment", "SELECT 1 -- what?\n, ?", 1},
        {"line_comment_at_end", "SELECT ? -- ?", 1},
        {"block_comment", "SELECT /* ? */ ?", 1},
        {"e_string_backslash", "SELECT E'\\'?', ?", 1},
        {"not_e_string", "SELECT name'?'", 0},
        {"identifier_ending_in_e", "SELECT type'\\', ?", 1},
        {"trailing_semicolon", "SELECT ?;", 1},
        {"empty", "", 0},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(error(c.sql), nullptr);
        EXPECT_EQ(count(c.sql), c.placeholders);
    }
}

TEST(ScanSql, RefusesWhatTheBackendsReadDifferently) {
    struct Case {
        const char* name;
        std::string_view sql;
    };
    const Case cases[] = {
        {"dollar_placeholder", "SELECT $1"},
        {"dollar_quote", "SELECT $$ ? $$"},
        {"numbered_question", "SELECT ?1"},
        {"second_statement", "SELECT 1; DROP TABLE users"},
        {"second_statement_after_comment", "SELECT 1; -- c\nSELECT 2"},
        {"unterminated_single", "SELECT 'abc"},
        {"unterminated_double", "SELECT \"abc"},
        {"unterminated_e_string", "SELECT E'abc\\'"},
        {"unterminated_comment", "SELECT /* abc"},
        {"nested_comment", "SELECT /* a /* b */ ? */ 1"},
        {"nul", std::string_view("SELECT \0 1", 10)},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_NE(error(c.sql), nullptr);
        EXPECT_FALSE(detail::rewrite_placeholders(c.sql));
    }
}

TEST(RewritePlaceholders, NumbersEachPlaceholderInOrder) {
    struct Case {
        const char* name;
        std::string_view in;
        std::string_view out;
    };
    const Case cases[] = {
        {"none", "SELECT 1", "SELECT 1"},
        {"two", "SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
        {"adjacent", "SELECT ?,?", "SELECT $1,$2"},
        {"quoted_kept", "SELECT '?', ? -- ?\n", "SELECT '?', $1 -- ?\n"},
        {"ten", "SELECT ?,?,?,?,?,?,?,?,?,?", "SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10"},
        {"jsonb_operator_is_a_placeholder", "SELECT x ? y", "SELECT x $1 y"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto out = detail::rewrite_placeholders(c.in);
        ASSERT_TRUE(out);
        EXPECT_EQ(*out, c.out);
    }
}

TEST(ParseUrl, AcceptsTheDocumentedForms) {
    auto mem = detail::parse_url("sqlite::memory:");
    ASSERT_TRUE(mem);
    EXPECT_EQ(mem->sqlite_path, ":memory:");
    auto file = detail::parse_url("sqlite:///var/lib/app/app.db");
    ASSERT_TRUE(file);
    EXPECT_EQ(file->backend, Backend::sqlite);
    EXPECT_EQ(file->sqlite_path, "/var/lib/app/app.db");
    for (const char* pg : {"postgresql://u:p@h:5432/db?sslmode=verify-full", "postgres://h/db"}) {
        auto r = detail::parse_url(pg);
        ASSERT_TRUE(r) << pg;
        EXPECT_EQ(r->backend, Backend::postgresql);
        EXPECT_EQ(r->pg_conninfo, pg);
    }
}

TEST(ParseUrl, RefusesBadUrls) {
    struct Case {
        const char* name;
        std::string url;
    };
    const Case cases[] = {
        {"empty", ""},
        {"relative_sqlite", "sqlite://app.db"},
        {"no_file", "sqlite:///"},
        {"directory", "sqlite:///var/lib/"},
        {"sqlite_uri_parameters", "sqlite:///app.db?mode=ro&_nolock=1"},
        {"sqlite_fragment", "sqlite:///app.db#x"},
        {"unknown_scheme", "mysql://h/db"},
        {"upper_case_scheme", "SQLITE::memory:"},
        {"control_character", "sqlite:///a\nb.db"},
        {"nul", std::string("sqlite:///a\0b.db", 16)},
        {"too_long", "sqlite:///" + std::string(5000, 'a')},
        {"memory_with_suffix", "sqlite::memory:x"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = detail::parse_url(c.url);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), ErrorCode::invalid_url);
    }
}

TEST(ChooseSql, ExactMatchOnly) {
    const auto pick = [](std::string_view key) {
        return choose_sql(key, {{"new", "SELECT 1 ORDER BY 1 DESC"}, {"old", "SELECT 1 ORDER BY 1"}});
    };
    EXPECT_EQ(pick("old")->text(), "SELECT 1 ORDER BY 1");
    EXPECT_EQ(pick("new")->text(), "SELECT 1 ORDER BY 1 DESC");
    for (const char* attack : {"", "OLD", "old ", "old;--", "1 DESC", "new\n"}) EXPECT_FALSE(pick(attack)) << attack;
}

TEST(DbError, MessagesAreFixedAndNamesDistinct) {
    std::set<std::string_view> names;
    for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
        const DbError e(static_cast<ErrorCode>(i), "SELECT secret FROM t -- driver text");
        EXPECT_EQ(e.message().find("secret"), std::string_view::npos);
        EXPECT_FALSE(e.message().empty());
        EXPECT_TRUE(names.insert(error_code_name(e.code())).second);
    }
    EXPECT_TRUE(DbError(ErrorCode::busy).retryable());
    EXPECT_TRUE(DbError(ErrorCode::serialization_failure).retryable());
    EXPECT_FALSE(DbError(ErrorCode::unique_violation).retryable());
}

}  // namespace
}  // namespace bulwark::db
