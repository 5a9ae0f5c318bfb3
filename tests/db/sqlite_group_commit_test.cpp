// Group commit (engine.hpp, WriterGate): autocommit writes of one Database that queue at the
// writer gate run in one transaction of the first of them, each in its own savepoint, so one
// COMMIT (one fsync) covers the group. Each test queues its writers behind a transaction that
// holds the turn, so they are all in line when it ends and the next writer leads them.
#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include "suite/fixture.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace bulwark::db {
namespace {

using namespace std::chrono_literals;
using Write = std::function<Result<std::int64_t, DbError>(Database&)>;

class SqliteGroupCommit : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("bulwark_db_group_" + testing::unique_suffix());
        std::filesystem::create_directories(dir_);
        url_ = "sqlite://" + (dir_ / "g.db").string();
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Database open(Options o = {}) {
        o.max_connections = 48;
        auto db = Database::open(url_, o);
        EXPECT_TRUE(db) << db.error().diagnostic_for_log();
        return std::move(*db);
    }
    // wal_frames: frames in the WAL file; every commit appends the pages it changed, so N
    // inserts into one page add N frames one by one and about one frame as one group.
    std::uintmax_t wal_frames() const {
        std::error_code ec;
        const auto size = std::filesystem::file_size(dir_ / "g.db-wal", ec);
        return ec || size < 32 ? 0 : (size - 32) / (4096 + 24);
    }

    // queued_behind_transaction: runs each write on its own thread while a transaction of `db`
    // holds the writers' turn, `step` apart, then commits it; each write's result, in order.
    // `during` runs while they wait (before the commit).
    std::vector<Result<std::int64_t, DbError>> queued_behind_transaction(
        Database& db, const std::vector<Write>& writes, std::chrono::milliseconds step = 20ms,
        const std::function<void()>& during = {}) {
        std::vector<std::optional<Result<std::int64_t, DbError>>> results(writes.size());
        auto tx = db.transaction();
        EXPECT_TRUE(tx) << (tx ? "" : tx.error().diagnostic_for_log());
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < writes.size(); ++i) {
            threads.emplace_back([&, i] { results[i].emplace(writes[i](db)); });
            std::this_thread::sleep_for(step);  // in line in this order
        }
        std::this_thread::sleep_for(200ms);  // the last one in line too
        if (during) during();
        if (tx) {
            EXPECT_TRUE(tx->commit());
        }
        for (auto& t : threads) t.join();
        std::vector<Result<std::int64_t, DbError>> out;
        for (auto& r : results) out.push_back(std::move(*r));
        return out;
    }

    std::filesystem::path dir_;
    std::string url_;
};

Write insert_value(std::int64_t v) {
    return [v](Database& db) { return db.execute("INSERT INTO t (k, v) VALUES (?, ?)", v, v); };
}

// Groups of several sizes, the last one larger than a group may be (kMaxGroupWrites = 32): every
// write succeeds, each learns its own row count, every row is committed (a second Database, its
// own connection, sees them), and the writes shared commits: far fewer WAL frames than writes.
TEST_F(SqliteGroupCommit, ConcurrentWritersAllCommittedInSharedCommits) {
    struct Case {
        const char* name;
        int writers;
    };
    const Case cases[] = {{"two", 2}, {"eight", 8}, {"forty_over_the_bound", 40}};
    Database db = open();
    ASSERT_TRUE(db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"));
    std::int64_t next = 1;
    std::uintmax_t writes_run = 0, frames_added = 0;
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        // And one UPDATE of the rows of the cases before (whichever place it gets in line): its
        // count is its own.
        const std::int64_t rows_before = next - 1;
        std::vector<Write> writes;
        for (int i = 0; i < c.writers; ++i) writes.push_back(insert_value(next++));
        writes.push_back(
            [rows_before](Database& d) { return d.execute("UPDATE t SET v = v + 1 WHERE k <= ?", rows_before); });
        const std::int64_t rows_then = next - 1;
        const auto frames_before = wal_frames();
        auto results = queued_behind_transaction(db, writes, 5ms);
        frames_added += wal_frames() - frames_before;
        writes_run += writes.size();
        for (int i = 0; i < c.writers; ++i) {
            ASSERT_TRUE(results[static_cast<std::size_t>(i)]) << results[static_cast<std::size_t>(i)].error().diagnostic_for_log();
            EXPECT_EQ(*results[static_cast<std::size_t>(i)], 1);
        }
        ASSERT_TRUE(results.back()) << results.back().error().diagnostic_for_log();
        EXPECT_EQ(*results.back(), rows_before);
        Database other = open();
        EXPECT_EQ(**other.one<std::int64_t>("SELECT count(*) FROM t"), rows_then);
    }
    // One by one, each write would add a frame; grouped, about one per group. A thread that
    // reached the line late on a loaded machine makes a group of its own, hence only half.
    EXPECT_LT(frames_added, writes_run / 2) << "commits were not shared";
}

// A write that fails inside a group fails alone, with its own error; the writes around it commit.
// INSERT OR ROLLBACK ends the whole transaction on its conflict: the others run again in a new one.
TEST_F(SqliteGroupCommit, FailingWriteFailsAlone) {
    struct Case {
        const char* name;
        Write write;
        std::optional<ErrorCode> error;  // nullopt: succeeds
    };
    std::vector<Case> cases;
    cases.push_back({"ok_before", insert_value(10), std::nullopt});
    cases.push_back({"unique_violation", insert_value(1), ErrorCode::unique_violation});
    cases.push_back({"ok_between", insert_value(11), std::nullopt});
    cases.push_back({"not_null_violation",
                     [](Database& db) { return db.execute("INSERT INTO t (k, v) VALUES (?, NULL)", 12); },
                     ErrorCode::not_null_violation});
    cases.push_back({"rollback_whole_transaction",
                     [](Database& db) { return db.execute("INSERT OR ROLLBACK INTO t (k, v) VALUES (?, ?)", 1, 1); },
                     ErrorCode::unique_violation});
    cases.push_back({"ok_after", insert_value(13), std::nullopt});
    cases.push_back({"check_violation",
                     [](Database& db) { return db.execute("INSERT INTO t (k, v) VALUES (?, ?)", 14, -1); },
                     ErrorCode::check_violation});
    cases.push_back({"ok_last", insert_value(15), std::nullopt});

    Database db = open();
    ASSERT_TRUE(db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))"));
    ASSERT_TRUE(db.execute("INSERT INTO t (k, v) VALUES (1, 1)"));
    std::vector<Write> writes;
    for (const Case& c : cases) writes.push_back(c.write);
    auto results = queued_behind_transaction(db, writes);
    std::int64_t expected_rows = 1;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].name);
        if (cases[i].error) {
            ASSERT_FALSE(results[i]);
            EXPECT_EQ(results[i].error().code(), *cases[i].error) << results[i].error().diagnostic_for_log();
        } else {
            ASSERT_TRUE(results[i]) << results[i].error().diagnostic_for_log();
            EXPECT_EQ(*results[i], 1);
            ++expected_rows;
        }
    }
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), expected_rows);
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t WHERE k IN (10, 11, 13, 15)"), 4);
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t WHERE k IN (12, 14)"), 0);
    EXPECT_TRUE(db.execute("INSERT INTO t (k, v) VALUES (16, 16)"));  // the turn was handed on
}

// A transaction in line between autocommit writes takes its turn alone and in order: it sees the
// writes queued before it committed and none of those queued after it, whose group waits for it.
TEST_F(SqliteGroupCommit, TransactionInLineKeepsItsPlace) {
    Database db = open();
    ASSERT_TRUE(db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"));
    std::atomic<std::int64_t> seen_by_transaction{-1};
    std::vector<Write> writes = {insert_value(1), insert_value(2), insert_value(3)};
    writes.push_back([&](Database& d) -> Result<std::int64_t, DbError> {
        auto tx = d.transaction();
        if (!tx) return tx.error();
        auto n = d.one<std::int64_t>("SELECT count(*) FROM t");
        if (!n) return n.error();
        seen_by_transaction = **n;
        if (auto r = d.execute("INSERT INTO t (k, v) VALUES (100, 100)"); !r) return r.error();
        std::this_thread::sleep_for(50ms);  // the writes behind it wait
        if (auto c = tx->commit(); !c) return c.error();
        return std::int64_t{1};
    });
    for (std::int64_t v = 4; v <= 6; ++v) writes.push_back(insert_value(v));
    auto results = queued_behind_transaction(db, writes, 40ms);
    for (std::size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE(i);
        ASSERT_TRUE(results[i]) << results[i].error().diagnostic_for_log();
    }
    EXPECT_EQ(seen_by_transaction.load(), 3);
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), 7);
}

// Writers whose turn does not come within busy_timeout leave the line with `busy` (the reference
// app's 503 + Retry-After) and write nothing; the gate is usable afterwards.
TEST_F(SqliteGroupCommit, QueuedWritersTimeOutAsBusy) {
    Options o;
    o.busy_timeout = 300ms;
    Database db = open(o);
    ASSERT_TRUE(db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"));
    std::vector<Write> writes;
    for (std::int64_t v = 1; v <= 4; ++v) writes.push_back(insert_value(v));
    const auto start = std::chrono::steady_clock::now();
    // The transaction holds the turn past every writer's deadline.
    auto results = queued_behind_transaction(db, writes, 5ms, [] { std::this_thread::sleep_for(400ms); });
    EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
    for (std::size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE(i);
        ASSERT_FALSE(results[i]);
        EXPECT_EQ(results[i].error().code(), ErrorCode::busy);
    }
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), 0);
    // Then a group forms again and commits.
    auto again = queued_behind_transaction(db, {insert_value(7), insert_value(8), insert_value(9)}, 5ms);
    for (auto& r : again) EXPECT_TRUE(r) << r.error().diagnostic_for_log();
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), 3);
}

}  // namespace
}  // namespace bulwark::db
