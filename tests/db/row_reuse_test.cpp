// one() hands a mapped row's value storage back for the next lookup on the thread: rows of
// other widths, NULLs after text, a mapping that fails and a lookup nested in from_row must all
// still read exactly their own values.
#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>

namespace bulwark::db {
namespace {

Database& memory_db() {
    static Database db = [] {
        auto opened = Database::open("sqlite::memory:");
        if (!opened) throw std::runtime_error("sqlite::memory:");
        auto db = std::move(*opened);
        (void)db.execute("CREATE TABLE reuse (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c INTEGER)");
        (void)db.execute("INSERT INTO reuse (id, a, b, c) VALUES (1, 'a long text value past the small-string size', 'x', 7)");
        (void)db.execute("INSERT INTO reuse (id, a, b, c) VALUES (2, NULL, 'y', NULL)");
        return db;
    }();
    return db;
}

struct Nested {
    std::string a;
    std::optional<std::string> other;
    static Nested from_row(const Row& row) {
        Nested n{row.get<std::string>("a"), std::nullopt};
        // A lookup inside from_row: the outer row is still being read.
        n.other = *memory_db().one<std::string>("SELECT b FROM reuse WHERE id = ?", 2);
        n.a += '|';
        n.a += row.get<std::string>("b");
        return n;
    }
};

TEST(RowReuse, EachLookupReadsItsOwnValues) {
    Database& db = memory_db();
    using Wide = std::tuple<std::optional<std::string>, std::string, std::optional<std::int64_t>>;
    for (int round = 0; round < 3; ++round) {
        auto wide1 = db.one<Wide>("SELECT a, b, c FROM reuse WHERE id = ?", 1);
        ASSERT_TRUE(wide1 && *wide1);
        EXPECT_EQ(std::get<0>(**wide1), "a long text value past the small-string size");
        EXPECT_EQ(std::get<2>(**wide1), 7);
        auto narrow = db.one<std::string>("SELECT b FROM reuse WHERE id = ?", 1);
        ASSERT_TRUE(narrow && *narrow);
        EXPECT_EQ(**narrow, "x");
        auto wide2 = db.one<Wide>("SELECT a, b, c FROM reuse WHERE id = ?", 2);
        ASSERT_TRUE(wide2 && *wide2);
        EXPECT_EQ(std::get<0>(**wide2), std::nullopt) << "a NULL after a text in the same slot";
        EXPECT_EQ(std::get<1>(**wide2), "y");
        EXPECT_EQ(std::get<2>(**wide2), std::nullopt);
        auto failed = db.one<std::int64_t>("SELECT a FROM reuse WHERE id = ?", 2);  // NULL as non-optional
        ASSERT_FALSE(failed);
        EXPECT_EQ(failed.error().code(), ErrorCode::type_mismatch);
        auto none = db.one<std::string>("SELECT b FROM reuse WHERE id = ?", 99);
        ASSERT_TRUE(none);
        EXPECT_FALSE(*none);
        auto nested = db.one<Nested>("SELECT a, b FROM reuse WHERE id = ?", 1);
        ASSERT_TRUE(nested && *nested);
        EXPECT_EQ((*nested)->a, "a long text value past the small-string size|x");
        EXPECT_EQ((*nested)->other, "y");
    }
}

// The kept row lets go of a big value after the lookup and still reads the next one exactly; a
// statement bound by text and then by numbers alone reads its own arguments each time; a second
// row is still refused after many single-row lookups of the same statement.
TEST(RowReuse, BigValuesBindingsAndSecondRows) {
    Database& db = memory_db();
    ASSERT_TRUE(db.execute("CREATE TABLE IF NOT EXISTS reuse_big (id INTEGER PRIMARY KEY, t TEXT, k INTEGER)"));
    const std::string big(100000, 'b');
    ASSERT_TRUE(db.execute("INSERT OR REPLACE INTO reuse_big (id, t, k) VALUES (?, ?, ?)", 1, big, 5));
    ASSERT_TRUE(db.execute("INSERT OR REPLACE INTO reuse_big (id, t, k) VALUES (?, ?, ?)", 2, "small", 5));
    for (int round = 0; round < 3; ++round) {
        auto a = db.one<std::string>("SELECT t FROM reuse_big WHERE id = ?", 1);
        ASSERT_TRUE(a && *a);
        EXPECT_EQ(**a, big);
        auto b = db.one<std::string>("SELECT t FROM reuse_big WHERE id = ?", 2);
        ASSERT_TRUE(b && *b);
        EXPECT_EQ(**b, "small");
        auto by_text = db.one<std::int64_t>("SELECT id FROM reuse_big WHERE t = ? OR id = ?", std::string("small"), 2);
        ASSERT_TRUE(by_text && *by_text);
        EXPECT_EQ(**by_text, 2);
        auto by_number = db.one<std::int64_t>("SELECT id FROM reuse_big WHERE t = ? OR id = ?", nullptr, 1);
        ASSERT_TRUE(by_number && *by_number) << "the text bound before must not linger";
        EXPECT_EQ(**by_number, 1);
        for (int i = 0; i < 3; ++i) ASSERT_TRUE(db.one<std::string>("SELECT t FROM reuse_big WHERE k = ? AND id = ?", 5, 2));
        auto two = db.one<std::string>("SELECT t FROM reuse_big WHERE k = ? AND id > ?", 5, 0);
        ASSERT_FALSE(two);
        EXPECT_EQ(two.error().code(), ErrorCode::multiple_rows);
    }
}

}  // namespace
}  // namespace bulwark::db
