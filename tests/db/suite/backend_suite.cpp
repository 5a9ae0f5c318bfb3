// backend_suite.cpp: the data-layer behaviour, run on SQLite and PostgreSQL alike.
#include "fixture.hpp"

#include <limits>
#include <stdexcept>
#include <thread>

namespace bulwark::db::testing {
namespace {

using namespace std::chrono_literals;

Result<std::int64_t, DbError> create_users(Database& db, bool pg) {
    return db.execute(pg ? Sql("CREATE TABLE users (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                               "age BIGINT CHECK (age >= 0), team_id BIGINT REFERENCES teams(id))")
                         : Sql("CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, "
                               "age INTEGER CHECK (age >= 0), team_id INTEGER REFERENCES teams(id))"));
}

void make_schema(Database& db, bool pg) {
    ASSERT_TRUE(db.execute("CREATE TABLE teams (id BIGINT PRIMARY KEY, title TEXT)"));
    ASSERT_TRUE(db.execute("INSERT INTO teams (id, title) VALUES (?, ?)", 1, "red"));
    auto r = create_users(db, pg);
    ASSERT_TRUE(r) << r.error().diagnostic_for_log();
}

struct User {
    std::int64_t id;
    std::string name;
    std::optional<std::int64_t> age;
    static User from_row(const Row& row) {
        return {row.get<std::int64_t>("id"), row.get<std::string>("name"), row.get<std::optional<std::int64_t>>("age")};
    }
};

TEST_P(DbBackend, ValuesRoundTripEveryType) {
    ASSERT_TRUE(db().execute(pg() ? Sql("CREATE TABLE v (i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN, "
                                        "n TEXT, o BIGINT, ts TIMESTAMPTZ)")
                                  : Sql("CREATE TABLE v (i INTEGER, d REAL, t TEXT, b BLOB, f INTEGER, n TEXT, o INTEGER, "
                                        "ts INTEGER)")));
    const Bytes blob{0, 1, 2, 0xff, 0, 'x'};
    const std::string text = "O'Brien \"quoted\" ? -- not a comment \xc3\xa9";
    const TimePoint when = TimePoint(std::chrono::microseconds(1'700'000'000'123'456));
    struct Case {
        const char* name;
        std::int64_t i;
        double d;
    };
    for (const Case& c : {Case{"max", std::numeric_limits<std::int64_t>::max(), 0.1},
                          Case{"min", std::numeric_limits<std::int64_t>::min(), -1e300},
                          Case{"zero", 0, 5e-324}}) {
        SCOPED_TRACE(c.name);
        ASSERT_TRUE(db().execute("DELETE FROM v"));
        auto ins = db().execute("INSERT INTO v (i, d, t, b, f, n, o, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", c.i, c.d,
                                text, blob, true, nullptr, std::optional<std::int64_t>(7), when);
        ASSERT_TRUE(ins) << ins.error().diagnostic_for_log();
        EXPECT_EQ(*ins, 1);
        auto rows = db().query("SELECT i, d, t, b, f, n, o, ts FROM v");
        ASSERT_TRUE(rows) << rows.error().diagnostic_for_log();
        ASSERT_EQ(rows->size(), 1u);
        const Row& row = rows->front();
        EXPECT_EQ(row.get<std::int64_t>(0), c.i);
        EXPECT_EQ(row.get<double>(1), c.d);
        EXPECT_EQ(row.get<std::string>("t"), text);
        EXPECT_EQ(row.get<Bytes>("b"), blob);
        EXPECT_TRUE(row.get<bool>("f"));
        EXPECT_TRUE(row.is_null(5));
        EXPECT_EQ(row.get<std::optional<std::string>>("n"), std::nullopt);
        EXPECT_EQ(row.get<std::optional<std::int64_t>>("o"), 7);
        EXPECT_EQ(row.get<TimePoint>("ts"), when);
        EXPECT_FALSE(row.failed());
    }
    // Empty values are values, not NULL.
    ASSERT_TRUE(db().execute("UPDATE v SET t = ?, b = ?", "", Bytes{}));
    auto empty = db().query("SELECT t, b FROM v");
    ASSERT_TRUE(empty);
    EXPECT_FALSE(empty->front().is_null(0));
    EXPECT_FALSE(empty->front().is_null(1));
    EXPECT_EQ(empty->front().get<Bytes>(1), Bytes{});
}

TEST_P(DbBackend, InjectionAttemptsAreData) {
    make_schema(db(), pg());
    const char* attacks[] = {"x' OR '1'='1", "'; DROP TABLE users; --", "\\'; DELETE FROM users; --", "?", "$1",
                             "admin'--", "\" OR \"\"=\"", "1; SELECT 1", "%' OR name LIKE '%"};
    for (const char* attack : attacks) ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", attack)) << attack;
    for (const char* attack : attacks) {
        auto found = db().query_as<User>("SELECT id, name, age FROM users WHERE name = ?", attack);
        ASSERT_TRUE(found) << found.error().diagnostic_for_log();
        ASSERT_EQ(found->size(), 1u) << attack;
        EXPECT_EQ(found->front().name, attack);
    }
    auto count = db().one<std::int64_t>("SELECT COUNT(*) FROM users");
    ASSERT_TRUE(count);
    EXPECT_EQ(**count, static_cast<std::int64_t>(std::size(attacks)));
}

TEST_P(DbBackend, QuestionMarksInQuotesAndCommentsAreNotPlaceholders) {
    auto r = db().query("SELECT '?' AS a, ? AS b /* ? */ -- ?\n", "bound");
    ASSERT_TRUE(r) << r.error().diagnostic_for_log();
    EXPECT_EQ(r->front().get<std::string>("a"), "?");
    EXPECT_EQ(r->front().get<std::string>("b"), "bound");
}

TEST_P(DbBackend, ConstraintErrorsAreTypedAndSafe) {
    make_schema(db(), pg());
    ASSERT_TRUE(db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "alice", 30));
    struct Case {
        const char* name;
        Result<std::int64_t, DbError> result;
        ErrorCode expected;
    };
    Case cases[] = {
        {"unique", db().execute("INSERT INTO users (name) VALUES (?)", "alice"), ErrorCode::unique_violation},
        {"not_null", db().execute("INSERT INTO users (name) VALUES (?)", nullptr), ErrorCode::not_null_violation},
        {"check", db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "bob", -1), ErrorCode::check_violation},
        {"foreign_key", db().execute("INSERT INTO users (name, team_id) VALUES (?, ?)", "carol", 99),
         ErrorCode::foreign_key_violation},
        {"syntax", db().execute("SELEC 1"), ErrorCode::invalid_statement},
        {"unknown_table", db().execute("DELETE FROM no_such_table"), ErrorCode::invalid_statement},
        {"too_few_args", db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "dave"), ErrorCode::bind_mismatch},
        {"named_parameter", db().execute("INSERT INTO users (name) VALUES (:name)"),
         pg() ? ErrorCode::invalid_statement : ErrorCode::bind_mismatch},
    };
    for (Case& c : cases) {
        SCOPED_TRACE(c.name);
        ASSERT_FALSE(c.result);
        EXPECT_EQ(c.result.error().code(), c.expected) << c.result.error().diagnostic_for_log();
        const std::string_view msg = c.result.error().message();
        for (const char* leak : {"alice", "users", "INSERT", "SELEC", "sqlite", "postgres", "constraint"})
            EXPECT_EQ(msg.find(leak), std::string_view::npos) << msg;
    }
    EXPECT_FALSE(cases[0].result.error().diagnostic_for_log().empty());
}

TEST_P(DbBackend, OneAndMappings) {
    make_schema(db(), pg());
    auto id = db().insert_returning_id("INSERT INTO users (name, age) VALUES (?, ?) RETURNING id", "alice", 30);
    ASSERT_TRUE(id) << id.error().diagnostic_for_log();
    ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "bob"));

    auto alice = db().one<User>("SELECT id, name, age FROM users WHERE name = ?", "alice");
    ASSERT_TRUE(alice);
    ASSERT_TRUE(*alice);
    EXPECT_EQ((*alice)->id, *id);
    EXPECT_EQ((*alice)->age, 30);

    auto nobody = db().one<User>("SELECT id, name, age FROM users WHERE name = ?", "nobody");
    ASSERT_TRUE(nobody);
    EXPECT_FALSE(*nobody);

    auto both = db().one<User>("SELECT id, name, age FROM users");
    ASSERT_FALSE(both);
    EXPECT_EQ(both.error().code(), ErrorCode::multiple_rows);

    // first() takes the first of several rows on purpose; one() on the same query still refuses.
    auto first = db().first<User>("SELECT id, name, age FROM users ORDER BY name DESC");
    ASSERT_TRUE(first);
    ASSERT_TRUE(*first);
    EXPECT_EQ((*first)->name, "bob");
    auto first_of_one = db().first<std::string>("SELECT name FROM users WHERE name = ?", "alice");
    ASSERT_TRUE(first_of_one && *first_of_one);
    EXPECT_EQ(**first_of_one, "alice");
    auto first_of_none = db().first<std::string>("SELECT name FROM users WHERE name = ?", "nobody");
    ASSERT_TRUE(first_of_none);
    EXPECT_FALSE(*first_of_none);
    auto still_both = db().one<std::string>("SELECT name FROM users ORDER BY name DESC");
    ASSERT_FALSE(still_both);
    EXPECT_EQ(still_both.error().code(), ErrorCode::multiple_rows);

    auto tuples = db().query_as<std::tuple<std::string, std::optional<std::int64_t>>>(
        "SELECT name, age FROM users ORDER BY name");
    ASSERT_TRUE(tuples);
    ASSERT_EQ(tuples->size(), 2u);
    EXPECT_EQ(std::get<0>((*tuples)[1]), "bob");
    EXPECT_EQ(std::get<1>((*tuples)[1]), std::nullopt);

    // A NULL where the struct wants a value, and text read as a number, are type errors.
    auto null_age = db().query_as<std::tuple<std::int64_t>>("SELECT age FROM users WHERE name = ?", "bob");
    ASSERT_FALSE(null_age);
    EXPECT_EQ(null_age.error().code(), ErrorCode::type_mismatch);
    auto text_as_int = db().one<std::int64_t>("SELECT name FROM users WHERE name = ?", "bob");
    ASSERT_FALSE(text_as_int);
    EXPECT_EQ(text_as_int.error().code(), ErrorCode::type_mismatch);
}

TEST_P(DbBackend, AllowlistedOrderBy) {
    make_schema(db(), pg());
    ASSERT_TRUE(db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "zed", 1));
    ASSERT_TRUE(db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "amy", 2));
    auto pick = [](std::string_view untrusted) {
        return choose_sql(untrusted, {{"name", "SELECT name FROM users ORDER BY name"},
                                      {"age", "SELECT name FROM users ORDER BY age"}});
    };
    auto by_name = pick("name");
    ASSERT_TRUE(by_name);
    auto multi = db().one<std::string>(*by_name);
    ASSERT_FALSE(multi);
    EXPECT_EQ(multi.error().code(), ErrorCode::multiple_rows);
    auto names = db().query_as<std::string>(*by_name);
    ASSERT_TRUE(names);
    EXPECT_EQ(names->front(), "amy");
    EXPECT_EQ(db().query_as<std::string>(*pick("age"))->front(), "zed");
    for (const char* attack : {"name; DROP TABLE users", "NAME", "", "name ", "age DESC", "(SELECT 1)"})
        EXPECT_FALSE(pick(attack)) << attack;
}

TEST_P(DbBackend, TransactionsCommitRollBackAndNest) {
    make_schema(db(), pg());
    auto count = [&] { return **db().one<std::int64_t>("SELECT COUNT(*) FROM users"); };
    {
        auto tx = db().transaction();
        ASSERT_TRUE(tx) << tx.error().diagnostic_for_log();
        ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "dropped"));
    }  // no commit: rolled back
    EXPECT_EQ(count(), 0);
    try {
        auto tx = db().transaction();
        ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "thrown"));
        throw std::runtime_error("handler failed");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(count(), 0);
    {
        auto outer = db().transaction();
        ASSERT_TRUE(outer);
        ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "kept"));
        {
            auto inner = db().transaction();
            ASSERT_TRUE(inner);
            ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "inner"));
            auto misuse = outer->commit();  // the inner one is still open
            ASSERT_FALSE(misuse);
            EXPECT_EQ(misuse.error().code(), ErrorCode::misuse);
        }  // savepoint rolled back
        EXPECT_TRUE(outer->active());  // the refused commit left it open; its destructor rolls back
    }
    EXPECT_EQ(count(), 0);
    {
        auto outer = db().transaction();
        ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "kept"));
        {
            auto inner = db().transaction();
            ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "inner"));
        }
        {
            auto inner = db().transaction();
            ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "inner2"));
            ASSERT_TRUE(inner->commit());
        }
        ASSERT_TRUE(outer->commit());
    }
    EXPECT_EQ(count(), 2);
    EXPECT_TRUE(**db().one<bool>("SELECT COUNT(*) = 1 FROM users WHERE name = ?", "inner2"));
}

TEST_P(DbBackend, RetryRetriesOnlyRetryableErrors) {
    make_schema(db(), pg());
    int attempts = 0;
    auto r = retry(db(), [&](Transaction&) -> Result<std::int64_t, DbError> {
        ++attempts;
        if (auto ins = db().execute("INSERT INTO users (name) VALUES (?)", "once"); !ins) return ins.error();
        if (attempts < 3) return DbError(ErrorCode::serialization_failure);
        return std::int64_t{attempts};
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(attempts, 3);
    EXPECT_EQ(**db().one<std::int64_t>("SELECT COUNT(*) FROM users"), 1);  // the failed attempts rolled back

    attempts = 0;
    auto hard = retry(db(), [&](Transaction&) -> Result<std::int64_t, DbError> {
        ++attempts;
        return db().execute("INSERT INTO users (name) VALUES (?)", "once");
    });
    ASSERT_FALSE(hard);
    EXPECT_EQ(hard.error().code(), ErrorCode::unique_violation);
    EXPECT_EQ(attempts, 1);
}

TEST_P(DbBackend, ConcurrentIncrementsThroughRetryAreNotLost) {
    ASSERT_TRUE(db().execute("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)"));
    ASSERT_TRUE(db().execute("INSERT INTO counter (id, n) VALUES (1, 0)"));
    constexpr int kThreads = 4, kEach = 20;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                auto r = retry(db(), [&](Transaction&) -> Result<std::int64_t, DbError> {
                    auto n = db().one<std::int64_t>("SELECT n FROM counter WHERE id = 1");
                    if (!n) return n.error();
                    return db().execute("UPDATE counter SET n = ? WHERE id = 1", **n + 1);
                }, RetryOptions{50, 1ms, 20ms});
                if (!r) ++failures;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(**db().one<std::int64_t>("SELECT n FROM counter WHERE id = 1"), kThreads * kEach);
}

TEST_P(DbBackend, StrayBeginDoesNotLeakIntoThePool) {
    make_schema(db(), pg());
    ASSERT_TRUE(db().execute("BEGIN"));  // rolled back when the connection returns to the pool
    ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "stray"));  // so this autocommits
    auto tx = db().transaction();  // and a real transaction can still begin
    ASSERT_TRUE(tx) << tx.error().diagnostic_for_log();
    ASSERT_TRUE(tx->rollback());
    EXPECT_EQ(**db().one<std::int64_t>("SELECT COUNT(*) FROM users"), 1);
}

// one() gives SQLite's connection straight back to the slot it took it from (give_back): a
// transaction left open by the statement still sends it through release()'s ROLLBACK.
TEST_P(DbBackend, StrayBeginThroughOneDoesNotLeakIntoThePool) {
    make_schema(db(), pg());
    for (int round = 0; round < 2; ++round) {  // the second round on the connection the first gave back
        SCOPED_TRACE(round);
        auto begun = db().one<std::int64_t>("BEGIN");
        ASSERT_TRUE(begun) << begun.error().diagnostic_for_log();
        EXPECT_FALSE(*begun);
        ASSERT_TRUE(db().execute("INSERT INTO users (name) VALUES (?)", "stray-" + std::to_string(round)));
        auto tx = db().transaction();
        ASSERT_TRUE(tx) << tx.error().diagnostic_for_log();
        ASSERT_TRUE(tx->rollback());
    }
    EXPECT_EQ(**db().one<std::int64_t>("SELECT COUNT(*) FROM users"), 2);
}

TEST_P(DbBackend, PoolReplacesAConnectionTheServerDropped) {
    if (!pg()) GTEST_SKIP() << "PostgreSQL only: the server ends the session";
    for (const bool health_check : {true, false}) {
        SCOPED_TRACE(health_check ? "with health check" : "without health check");
        Options o;
        o.max_connections = 1;
        o.health_check_after_idle = health_check ? std::chrono::milliseconds(0) : std::chrono::hours(1);
        auto victim = Database::open(url_, o);
        ASSERT_TRUE(victim);
        auto pid = victim->one<std::int64_t>("SELECT pg_backend_pid()");
        ASSERT_TRUE(pid && *pid);
        ASSERT_TRUE(db().query("SELECT pg_terminate_backend(?)", **pid));
        std::this_thread::sleep_for(100ms);
        auto after = victim->one<std::int64_t>("SELECT pg_backend_pid()");
        if (!health_check) {
            // The dead connection fails once, is dropped, and the next call reconnects.
            ASSERT_FALSE(after);
            EXPECT_EQ(after.error().code(), ErrorCode::connection) << after.error().diagnostic_for_log();
            after = victim->one<std::int64_t>("SELECT pg_backend_pid()");
        }
        ASSERT_TRUE(after) << after.error().diagnostic_for_log();
        EXPECT_NE(**after, **pid);
    }
}

// The pool hands the connection given back last to the next call without its mutex (Engine::
// hot_); a thread waiting for a connection must still be woken by a release, and an exhausted
// pool must still time out.
TEST_P(DbBackend, PoolHandsConnectionsOverBetweenThreads) {
    make_schema(db(), pg());
    Options o;
    o.max_connections = 2;
    o.acquire_timeout = 10s;
    auto shared = Database::open(url_, o);
    ASSERT_TRUE(shared) << shared.error().diagnostic_for_log();
    ASSERT_TRUE(shared->execute("INSERT INTO users (name, age) VALUES (?, ?)", "pooled", 1));
    constexpr int kThreads = 6, kEach = 200;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                auto age = shared->one<std::int64_t>("SELECT age FROM users WHERE name = ?", "pooled");
                if (!age || !*age || **age != 1) ++failures;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures, 0);

    o.max_connections = 1;
    o.acquire_timeout = 200ms;
    auto single = Database::open(url_, o);
    ASSERT_TRUE(single);
    {
        auto tx = single->transaction();  // pins the only connection to this thread
        ASSERT_TRUE(tx);
        std::thread([&] {
            auto starved = single->one<std::int64_t>("SELECT age FROM users WHERE name = ?", "pooled");
            ASSERT_FALSE(starved);
            EXPECT_EQ(starved.error().code(), ErrorCode::timeout);
        }).join();
        std::atomic<bool> served{false};
        std::thread waiter([&] {
            for (int attempt = 0; attempt < 50 && !served; ++attempt) {
                auto r = single->one<std::int64_t>("SELECT age FROM users WHERE name = ?", "pooled");
                if (r && *r && **r == 1) served = true;
            }
        });
        std::this_thread::sleep_for(50ms);
        ASSERT_TRUE(tx->commit());  // gives the connection back: the waiter gets it
        waiter.join();
        EXPECT_TRUE(served);
    }
}

// one() reads the first row and steps once more to tell one row from several; a result of many
// rows is refused without reading them all, and the connection serves the next call.
TEST_P(DbBackend, OneRefusesSeveralRowsAndTheConnectionStaysUsable) {
    make_schema(db(), pg());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(db().execute("INSERT INTO users (name, age) VALUES (?, ?)", "n" + std::to_string(i), i));
    for (int round = 0; round < 3; ++round) {
        auto many = db().one<std::string>("SELECT name FROM users ORDER BY age");
        ASSERT_FALSE(many);
        EXPECT_EQ(many.error().code(), ErrorCode::multiple_rows);
        auto two = db().one<std::int64_t>("SELECT age FROM users WHERE age < ? ORDER BY age", 2);
        ASSERT_FALSE(two);
        EXPECT_EQ(two.error().code(), ErrorCode::multiple_rows);
        auto single = db().one<std::tuple<std::string, std::int64_t>>("SELECT name, age FROM users WHERE age = ?", 7);
        ASSERT_TRUE(single && *single) << (single ? "no row" : single.error().diagnostic_for_log());
        EXPECT_EQ(std::get<0>(**single), "n7");
        EXPECT_EQ(std::get<1>(**single), 7);
        auto none = db().one<std::string>("SELECT name FROM users WHERE age = ?", 1000);
        ASSERT_TRUE(none);
        EXPECT_FALSE(*none);
    }
}

INSTANTIATE_TEST_SUITE_P(On, DbBackend, ::testing::ValuesIn(backends_under_test()));

}  // namespace
}  // namespace bulwark::db::testing
