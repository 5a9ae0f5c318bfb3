// SQLite write contention inside one process: the writer gate (engine.cpp) queues the writers of
// one Database in arrival order, so many threads writing at once never see `busy`, while a
// writer of another Database (another process, in effect) is still bounded by busy_timeout.
#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include "suite/fixture.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace bulwark::db {
namespace {

using namespace std::chrono_literals;

// hold_write_lock: a thread that opens a write transaction on `db`, inserts a row into t and
// keeps the transaction (and so SQLite's write lock) until `done`; returns once it holds it.
std::thread hold_write_lock(Database& db, std::atomic<bool>& done) {
    std::atomic<bool> holding{false};
    std::thread holder([&db, &done, &holding] {
        // On failure the wait below ends anyway (holding is set either way).
        auto tx = db.transaction();
        EXPECT_TRUE(tx) << (tx ? "" : tx.error().diagnostic_for_log());
        auto r = db.execute("INSERT INTO t (x) VALUES (1)");
        EXPECT_TRUE(r) << (r ? "" : r.error().diagnostic_for_log());
        holding = true;
        if (!tx) return;
        while (!done) std::this_thread::sleep_for(5ms);
        EXPECT_TRUE(tx->commit());
    });
    while (!holding) std::this_thread::sleep_for(1ms);
    return holder;
}

class SqliteWriterGate : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("bulwark_db_gate_" + testing::unique_suffix());
        std::filesystem::create_directories(dir_);
        url_ = "sqlite://" + (dir_ / "g.db").string();
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Database open(Options o) {
        auto db = Database::open(url_, o);
        EXPECT_TRUE(db) << db.error().diagnostic_for_log();
        return std::move(*db);
    }
    std::filesystem::path dir_;
    std::string url_;
};

// Sixteen threads, each alternating write transactions and autocommit inserts (plain and
// RETURNING), on one file with the default durability (an fsync per commit) and a busy_timeout
// of 2 s: SQLite's own sleeping busy handler let writers starve past it (42 to 83 `busy` in
// 2,400 writes before the gate, on a loaded machine). Every write must succeed, every row be there.
TEST_F(SqliteWriterGate, ManyThreadsWriteWithoutBusy) {
    Options o;
    o.max_connections = 16;
    o.busy_timeout = 2000ms;
    Database db = open(o);
    ASSERT_TRUE(db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, thread INTEGER, n INTEGER, kind TEXT)"));
    constexpr int kThreads = 16, kRounds = 90;
    std::atomic<int> failures{0};
    std::map<std::string, int> errors;  // error code name -> count, written under errors_mutex
    std::mutex errors_mutex;
    auto failed = [&](const DbError& e) {
        ++failures;
        std::lock_guard lock(errors_mutex);
        ++errors[std::string(error_code_name(e.code()))];
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds; ++i) {
                switch (i % 3) {
                    case 0: {
                        auto tx = db.transaction();
                        if (!tx) { failed(tx.error()); break; }
                        auto r = db.execute("INSERT INTO t (thread, n, kind) VALUES (?, ?, 'tx')", t, i);
                        if (!r) { failed(r.error()); break; }
                        auto seen = db.one<std::int64_t>("SELECT count(*) FROM t WHERE thread = ?", t);
                        if (!seen) { failed(seen.error()); break; }
                        if (auto c = tx->commit(); !c) failed(c.error());
                        break;
                    }
                    case 1: {
                        auto r = db.execute("INSERT INTO t (thread, n, kind) VALUES (?, ?, 'auto')", t, i);
                        if (!r) failed(r.error());
                        break;
                    }
                    default: {
                        auto id = db.insert_returning_id(
                            "INSERT INTO t (thread, n, kind) VALUES (?, ?, 'returning') RETURNING id", t, i);
                        if (!id) failed(id.error());
                        break;
                    }
                }
            }
        });
    for (auto& th : threads) th.join();
    std::string summary;
    for (const auto& [name, n] : errors) summary += name + " x" + std::to_string(n) + " ";
    EXPECT_EQ(failures.load(), 0) << summary;
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), kThreads * kRounds);
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(DISTINCT thread * 1000 + n) FROM t"), kThreads * kRounds);
}

// A write lock held by another Database on the same file (as another process would) is outside
// the gate: a writer here still gets `busy` once busy_timeout has passed, never a hang.
TEST_F(SqliteWriterGate, WriterOfAnotherDatabaseStillTimesOutAsBusy) {
    Options o;
    o.busy_timeout = 200ms;
    Database mine = open(o);
    Database other = open(o);
    ASSERT_TRUE(mine.execute("CREATE TABLE t (x INTEGER)"));
    std::atomic<bool> done{false};
    std::thread holder = hold_write_lock(other, done);
    struct Case {
        const char* name;
        std::function<Result<void, DbError>()> write;
    };
    const Case cases[] = {
        {"autocommit_insert", [&]() -> Result<void, DbError> {
             auto r = mine.execute("INSERT INTO t (x) VALUES (2)");
             if (!r) return r.error();
             return {};
         }},
        {"transaction", [&]() -> Result<void, DbError> {
             auto tx = mine.transaction();
             if (!tx) return tx.error();
             return tx->commit();
         }},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const auto start = std::chrono::steady_clock::now();
        auto r = c.write();
        const auto took = std::chrono::steady_clock::now() - start;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), ErrorCode::busy) << r.error().diagnostic_for_log();
        EXPECT_GE(took, 150ms);
        EXPECT_LT(took, 5s);
    }
    // Reading is never blocked by the other writer (WAL).
    EXPECT_EQ(**mine.one<std::int64_t>("SELECT count(*) FROM t"), 0);
    done = true;
    holder.join();
    EXPECT_TRUE(mine.execute("INSERT INTO t (x) VALUES (3)"));  // the gate was left open
    EXPECT_EQ(**mine.one<std::int64_t>("SELECT count(*) FROM t"), 2);
}

// A writer of this Database that holds its transaction past busy_timeout: a second writer
// waiting in the gate gives up with `busy` at its deadline, and readers are never queued.
TEST_F(SqliteWriterGate, GateWaitIsBoundedAndReadersPass) {
    Options o;
    o.busy_timeout = 200ms;
    Database db = open(o);
    ASSERT_TRUE(db.execute("CREATE TABLE t (x INTEGER)"));
    std::atomic<bool> done{false};
    std::thread holder = hold_write_lock(db, done);
    {
        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), 0);  // a read, not queued
        EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
    }
    {
        const auto start = std::chrono::steady_clock::now();
        auto r = db.execute("INSERT INTO t (x) VALUES (2)");
        const auto took = std::chrono::steady_clock::now() - start;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code(), ErrorCode::busy);
        EXPECT_GE(took, 150ms);
        EXPECT_LT(took, 5s);
    }
    done = true;
    holder.join();
    ASSERT_TRUE(db.execute("INSERT INTO t (x) VALUES (3)"));
    EXPECT_EQ(**db.one<std::int64_t>("SELECT count(*) FROM t"), 2);
}

}  // namespace
}  // namespace bulwark::db
