// SQLite-only behaviour: the connection settings, the statement cache, ":memory:".
#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include "suite/fixture.hpp"

#include <thread>

namespace bulwark::db {
namespace {

class SqliteSettings : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("bulwark_db_settings_" + testing::unique_suffix());
        std::filesystem::create_directories(dir_);
        url_ = "sqlite://" + (dir_ / "s.db").string();
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::filesystem::path dir_;
    std::string url_;
};

TEST_F(SqliteSettings, SafeDefaults) {
    auto db = Database::open(url_);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->backend(), Backend::sqlite);
    struct Case {
        const char* name;
        Sql pragma;
        std::string expected;
    };
    const Case cases[] = {
        {"wal", "PRAGMA journal_mode", "wal"},
        {"foreign_keys", "PRAGMA foreign_keys", "1"},
        {"synchronous_full", "PRAGMA synchronous", "2"},
        {"busy_timeout", "PRAGMA busy_timeout", "5000"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto rows = db->query(c.pragma);
        ASSERT_TRUE(rows) << rows.error().diagnostic_for_log();
        const Value& v = rows->front().raw(0);
        const std::string got = std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                                                                       : std::to_string(std::get<std::int64_t>(v));
        EXPECT_EQ(got, c.expected);
    }
}

TEST_F(SqliteSettings, DurabilityNormalIsAnExplicitOptOut) {
    Options o;
    o.durability = Durability::normal;
    auto db = Database::open(url_, o);
    ASSERT_TRUE(db);
    EXPECT_EQ(**db->one<std::int64_t>("PRAGMA synchronous"), 1);
}

TEST_F(SqliteSettings, StatementCacheEvictionKeepsResultsRight) {
    Options o;
    o.statement_cache_size = 2;
    auto db = Database::open(url_, o);
    ASSERT_TRUE(db);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(**db->one<std::int64_t>("SELECT ? + 1", i), i + 1);
        EXPECT_EQ(**db->one<std::int64_t>("SELECT ? + 2", i), i + 2);
        EXPECT_EQ(**db->one<std::string>("SELECT ? || 'x'", "a"), "ax");
    }
}

TEST_F(SqliteSettings, MemoryDatabaseIsOneSharedConnection) {
    auto db = Database::open("sqlite::memory:");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->execute("CREATE TABLE t (x INTEGER)"));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) ASSERT_TRUE(db->execute("INSERT INTO t (x) VALUES (?)", i));
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(**db->one<std::int64_t>("SELECT COUNT(*) FROM t"), 100);
}

TEST_F(SqliteSettings, OpenFailsFastOnAnUnusablePath) {
    auto db = Database::open("sqlite:///nonexistent_dir_for_bulwark/x.db");
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code(), ErrorCode::connection);
}

TEST(TimeText, ParsesTheFormsBothBackendsWrite) {
    const TimePoint t0 = TimePoint(std::chrono::microseconds(1'700'000'000'123'456));
    struct Case {
        const char* name;
        const char* text;
        std::optional<TimePoint> expected;
    };
    const Case cases[] = {
        {"postgres_utc", "2023-11-14 22:13:20.123456+00", t0},
        {"iso_z", "2023-11-14T22:13:20.123456Z", t0},
        {"offset_minutes", "2023-11-15 03:43:20.123456+05:30", t0},
        {"negative_offset", "2023-11-14 17:13:20.123456-05", t0},
        {"no_fraction", "2023-11-14 22:13:20", t0 - std::chrono::microseconds(123456)},
        {"nanoseconds_truncated", "2023-11-14T22:13:20.123456789Z", t0},
        {"bad_month", "2023-13-14 22:13:20", std::nullopt},
        {"bad_day", "2023-02-30 22:13:20", std::nullopt},
        {"bad_separator", "2023/11/14 22:13:20", std::nullopt},
        {"junk_after", "2023-11-14 22:13:20Zjunk", std::nullopt},
        {"empty_fraction", "2023-11-14 22:13:20.", std::nullopt},
        {"too_short", "2023-11-14", std::nullopt},
        {"past_the_clock_range", "2422-11-14 22:13:20.123456+05:30", std::nullopt},
        {"before_the_clock_range", "1600-01-01 00:00:00", std::nullopt},
        {"too_long", "2023-11-14 22:13:20.1234567890123456789012345678901234567890123456789", std::nullopt},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = detail::value_to_time(Value(std::string(c.text)));
        ASSERT_EQ(r.ok(), c.expected.has_value());
        if (c.expected) {
            EXPECT_EQ(*r, *c.expected);
        }
    }
    EXPECT_FALSE(detail::value_to_time(Value(std::numeric_limits<std::int64_t>::max())));
}

}  // namespace
}  // namespace bulwark::db
