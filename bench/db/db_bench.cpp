// bench_db: point selects and inserts through Bulwark against the raw sqlite3 and libpq
// calls, same schema and settings, in the same run. PostgreSQL cases need
// BULWARK_TEST_DATABASE_URL (they are skipped without it). Compare with sqlite_bench.py.
// Both sides prepare once and run prepared statements (one round trip per call). SQLite's
// items_per_second is per CPU-second of this process; PostgreSQL's is per wall-clock second
// (UseRealTime: a call is mostly the round trip and the server's work, which this process's CPU
// does not see). The per-second comparison of raw libpq and Bulwark, interleaved in one run:
//   eval "$(scripts/test-services env)"
//   build/bench/bench_db --benchmark_filter='BM_pg_' --benchmark_repetitions=10
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
// (one command line)
// and compare the medians' items_per_second (raw / Bulwark). For SQLite, whose calls take
// microseconds of this process's CPU, BM_sqlite_point_select_interleaved alternates the two in one
// benchmark and reports bulwark_over_raw, steady on a loaded machine where separate benchmarks are not:
//   build/bench/bench_db --benchmark_filter=interleaved --benchmark_repetitions=5
// Each iteration's work is one noinline *_once function, so callgrind can count the instructions
// of exactly that work (--toggle-collect='*_once*'); BULWARK_BENCH_ITERATIONS fixes the iteration
// count for it. bench/db/instructions.sh does both and prints Bulwark/raw ratios.
#include <bulwark/db.hpp>

#include <benchmark/benchmark.h>
#include <postgresql/libpq-fe.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

using bulwark::db::Database;
constexpr int kRows = 10000;

// with_iterations: a fixed iteration count from BULWARK_BENCH_ITERATIONS (for instruction counts),
// else Google Benchmark's own choice.
void with_iterations(benchmark::internal::Benchmark* b) {
    if (const char* n = std::getenv("BULWARK_BENCH_ITERATIONS")) b->Iterations(std::atoll(n));
}

std::string sqlite_path(const char* tag) {
    return (std::filesystem::temp_directory_path() / ("bulwark_bench_" + std::string(tag) + "_" + std::to_string(getpid()) + ".db")).string();
}

Database open_or_die(const std::string& url, bulwark::db::Options o = {}) {
    auto db = Database::open(url, o);
    if (!db) {
        std::fprintf(stderr, "open failed: %s\n", db.error().diagnostic_for_log().c_str());
        std::exit(1);
    }
    return std::move(*db);
}

// Both sides: WAL, synchronous=NORMAL for inserts (FULL measures the disk, not the library).
bulwark::db::Options bench_options() {
    bulwark::db::Options o;
    o.durability = bulwark::db::Durability::normal;
    return o;
}

void fill(Database& db) {
    (void)db.execute("CREATE TABLE IF NOT EXISTS kv (id BIGINT PRIMARY KEY, v TEXT NOT NULL)");
    (void)db.execute("CREATE TABLE IF NOT EXISTS ins (id BIGINT, v TEXT NOT NULL)");
    auto tx = db.transaction();
    for (int i = 0; i < kRows; ++i) (void)db.execute("INSERT INTO kv (id, v) VALUES (?, ?)", i, "value-" + std::to_string(i));
    (void)tx->commit();
}

// filled_sqlite_file: the bench file, filled and closed, so every benchmark opens its connection
// on the same state: the rows checkpointed into the main file and an empty WAL. (Raw once opened
// a closed file while Bulwark kept the connection that filled it, rows still in the WAL: then
// each raw read transaction asked the kernel for the file size (fstat; with an empty WAL SQLite
// takes the page count from the file) and each Bulwark page read searched the WAL index instead:
// fewer instructions for raw but a system call more per call, so raw ran slower per second.)
std::string filled_sqlite_file(const char* tag) {
    const auto path = sqlite_path(tag);
    auto db = open_or_die("sqlite://" + path, bench_options());
    fill(db);
    return path;
}

// raw_sqlite_open: a raw connection with the settings Bulwark gives its own (sqlite.cpp
// configure: WAL, foreign_keys, synchronous as Durability::normal, busy_timeout), no more.
sqlite3* raw_sqlite_open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", nullptr, nullptr,
                     nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "raw open failed: %s\n", sqlite3_errmsg(db));
        std::exit(1);
    }
    sqlite3_busy_timeout(db, 5000);
    return db;
}

sqlite3_stmt* raw_sqlite_prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "raw prepare failed: %s\n", sqlite3_errmsg(db));
        std::exit(1);
    }
    return stmt;
}

// ---- SQLite -------------------------------------------------------------------------
// The raw loops are the best honest use of the C API: one prepared statement, reset and bound
// again per call, and no sqlite3_clear_bindings (the next call binds every placeholder, and the
// insert's text outlives the loop), on its own connection opened like Bulwark's.

[[gnu::noinline]] bool sqlite_raw_select_once(sqlite3_stmt* stmt, std::int64_t id) {
    sqlite3_bind_int64(stmt, 1, id);
    const bool found = sqlite3_step(stmt) == SQLITE_ROW;
    if (found) {
        std::string v(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
        benchmark::DoNotOptimize(v);
    }
    sqlite3_reset(stmt);
    return found;
}

void BM_sqlite_raw_point_select(benchmark::State& state) {
    const auto path = filled_sqlite_file("raw_sel");
    sqlite3* db = raw_sqlite_open(path);
    sqlite3_stmt* stmt = raw_sqlite_prepare(db, "SELECT v FROM kv WHERE id = ?");
    std::int64_t i = 0;
    for (auto _ : state)
        if (!sqlite_raw_select_once(stmt, i++ % kRows)) state.SkipWithError("no row");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sqlite_raw_point_select)->Apply(with_iterations);

[[gnu::noinline]] bool sqlite_bulwark_select_once(Database& db, std::int64_t id) {
    auto v = db.one<std::string>("SELECT v FROM kv WHERE id = ?", id);
    benchmark::DoNotOptimize(v);
    return v && *v;
}

void BM_sqlite_bulwark_point_select(benchmark::State& state) {
    const auto path = filled_sqlite_file("bw_sel");
    auto db = open_or_die("sqlite://" + path, bench_options());
    std::int64_t i = 0;
    for (auto _ : state)
        if (!sqlite_bulwark_select_once(db, i++ % kRows)) state.SkipWithError("no row");
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sqlite_bulwark_point_select)->Apply(with_iterations);

// first(): the same lookup taking the first row, without the step that lets one() refuse a second.
[[gnu::noinline]] bool sqlite_bulwark_first_once(Database& db, std::int64_t id) {
    auto v = db.first<std::string>("SELECT v FROM kv WHERE id = ?", id);
    benchmark::DoNotOptimize(v);
    return v && *v;
}

void BM_sqlite_bulwark_point_select_first(benchmark::State& state) {
    const auto path = filled_sqlite_file("bw_first");
    auto db = open_or_die("sqlite://" + path, bench_options());
    std::int64_t i = 0;
    for (auto _ : state)
        if (!sqlite_bulwark_first_once(db, i++ % kRows)) state.SkipWithError("no row");
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sqlite_bulwark_point_select_first)->Apply(with_iterations);

// BM_sqlite_point_select_interleaved: the raw and the Bulwark select in turns of 256 calls on one
// thread, each turn timed by this thread's CPU clock, the order swapped every turn. A load on the
// machine that comes and goes falls on both sides alike, which separate benchmarks (even
// interleaved repetitions) do not give on a shared machine. bulwark_over_raw is Bulwark's calls per
// CPU-second over raw's (the per-second ratio of issue 8).
std::int64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void BM_sqlite_point_select_interleaved(benchmark::State& state) {
    constexpr int kTurn = 256;
    const auto path = filled_sqlite_file("mix_sel");
    sqlite3* raw = raw_sqlite_open(path);
    sqlite3_stmt* stmt = raw_sqlite_prepare(raw, "SELECT v FROM kv WHERE id = ?");
    auto db = open_or_die("sqlite://" + path, bench_options());
    std::int64_t raw_ns = 0, bulwark_ns = 0, turns = 0, id = 0;
    const auto run_raw = [&] {
        const auto t0 = thread_cpu_ns();
        for (int k = 0; k < kTurn; ++k)
            if (!sqlite_raw_select_once(stmt, (id + k) % kRows)) state.SkipWithError("no row");
        raw_ns += thread_cpu_ns() - t0;
    };
    const auto run_bulwark = [&] {
        const auto t0 = thread_cpu_ns();
        for (int k = 0; k < kTurn; ++k)
            if (!sqlite_bulwark_select_once(db, (id + k) % kRows)) state.SkipWithError("no row");
        bulwark_ns += thread_cpu_ns() - t0;
    };
    for (auto _ : state) {
        if (turns % 2 == 0) {
            run_raw();
            run_bulwark();
        } else {
            run_bulwark();
            run_raw();
        }
        id += kTurn;
        ++turns;
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    std::filesystem::remove(path);
    const double calls = static_cast<double>(turns) * kTurn;
    state.counters["raw_per_s"] = raw_ns > 0 ? calls / (static_cast<double>(raw_ns) / 1e9) : 0;
    state.counters["bulwark_per_s"] = bulwark_ns > 0 ? calls / (static_cast<double>(bulwark_ns) / 1e9) : 0;
    state.counters["bulwark_over_raw"] = bulwark_ns > 0 ? static_cast<double>(raw_ns) / static_cast<double>(bulwark_ns) : 0;
}
BENCHMARK(BM_sqlite_point_select_interleaved);

[[gnu::noinline]] bool sqlite_raw_insert_once(sqlite3* db, sqlite3_stmt* stmt, std::int64_t id, const std::string& text) {
    sqlite3_bind_int64(stmt, 1, id);
    sqlite3_bind_text64(stmt, 2, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    const bool done = sqlite3_step(stmt) == SQLITE_DONE;
    benchmark::DoNotOptimize(sqlite3_changes64(db));
    sqlite3_reset(stmt);
    return done;
}

void BM_sqlite_raw_insert(benchmark::State& state) {
    const auto path = filled_sqlite_file("raw_ins");
    sqlite3* db = raw_sqlite_open(path);
    sqlite3_stmt* stmt = raw_sqlite_prepare(db, "INSERT INTO ins (id, v) VALUES (?, ?)");
    std::int64_t i = 0;
    const std::string text = "inserted-value";
    for (auto _ : state)
        if (!sqlite_raw_insert_once(db, stmt, i++, text)) state.SkipWithError("insert failed");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sqlite_raw_insert)->Apply(with_iterations);

[[gnu::noinline]] bool sqlite_bulwark_insert_once(Database& db, std::int64_t id, const std::string& text) {
    auto r = db.execute("INSERT INTO ins (id, v) VALUES (?, ?)", id, text);
    benchmark::DoNotOptimize(r);
    return static_cast<bool>(r);
}

void BM_sqlite_bulwark_insert(benchmark::State& state) {
    const auto path = filled_sqlite_file("bw_ins");
    auto db = open_or_die("sqlite://" + path, bench_options());
    std::int64_t i = 0;
    const std::string text = "inserted-value";
    for (auto _ : state)
        if (!sqlite_bulwark_insert_once(db, i++, text)) state.SkipWithError("insert failed");
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_sqlite_bulwark_insert)->Apply(with_iterations);

// ---- PostgreSQL ---------------------------------------------------------------------

const char* pg_url() { return std::getenv("BULWARK_TEST_DATABASE_URL"); }

void pg_setup(Database& db) {
    (void)db.execute_trusted_script("DROP TABLE IF EXISTS bench_db_kv; DROP TABLE IF EXISTS bench_db_ins;"
                                    "CREATE TABLE bench_db_kv (id BIGINT PRIMARY KEY, v TEXT NOT NULL);"
                                    "CREATE TABLE bench_db_ins (id BIGINT, v TEXT NOT NULL);"
                                    "INSERT INTO bench_db_kv SELECT g, 'value-' || g FROM generate_series(0, 9999) g;");
}

// raw_pg_connect opens a libpq connection with the session settings Bulwark's connections get
// (statement_timeout, which makes the server arm a timer per statement), so both sides ask the
// server for the same work.
PGconn* raw_pg_connect(bool with_statement_timeout = true) {
    PGconn* conn = PQconnectdb(pg_url());
    if (!with_statement_timeout) return conn;
    bulwark::db::Options defaults;
    const std::string ms = std::to_string(defaults.statement_timeout.count());
    const char* values[] = {ms.c_str()};
    PQclear(PQexecParams(conn, "SELECT set_config('statement_timeout', $1, false)", 1, nullptr, values, nullptr, nullptr, 0));
    return conn;
}

[[gnu::noinline]] bool pg_raw_select_once(PGconn* conn, std::int64_t n) {
    const std::string id = std::to_string(n);
    const char* values[] = {id.c_str()};
    PGresult* r = PQexecPrepared(conn, "sel", 1, values, nullptr, nullptr, 0);
    const bool found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (found) {
        std::string v(PQgetvalue(r, 0, 0), static_cast<std::size_t>(PQgetlength(r, 0, 0)));
        benchmark::DoNotOptimize(v);
    }
    PQclear(r);
    return found;
}

// The raw select again without statement_timeout: what that safety default costs on its own.
void raw_pg_point_select(benchmark::State& state, bool with_statement_timeout) {
    if (!pg_url()) return state.SkipWithError("BULWARK_TEST_DATABASE_URL not set");
    { auto db = open_or_die(pg_url()); pg_setup(db); }
    PGconn* conn = raw_pg_connect(with_statement_timeout);
    PQclear(PQprepare(conn, "sel", "SELECT v FROM bench_db_kv WHERE id = $1", 1, nullptr));
    std::int64_t i = 0;
    for (auto _ : state)
        if (!pg_raw_select_once(conn, i++ % kRows)) state.SkipWithError("no row");
    PQfinish(conn);
    state.SetItemsProcessed(state.iterations());
}
void BM_pg_raw_point_select(benchmark::State& state) { raw_pg_point_select(state, true); }
BENCHMARK(BM_pg_raw_point_select)->Apply(with_iterations)->UseRealTime();
void BM_pg_raw_point_select_no_timeout(benchmark::State& state) { raw_pg_point_select(state, false); }
BENCHMARK(BM_pg_raw_point_select_no_timeout)->Apply(with_iterations)->UseRealTime();

[[gnu::noinline]] bool pg_bulwark_select_once(Database& db, std::int64_t id) {
    auto v = db.one<std::string>("SELECT v FROM bench_db_kv WHERE id = ?", id);
    benchmark::DoNotOptimize(v);
    return v && *v;
}

void BM_pg_bulwark_point_select(benchmark::State& state) {
    if (!pg_url()) return state.SkipWithError("BULWARK_TEST_DATABASE_URL not set");
    auto db = open_or_die(pg_url());
    pg_setup(db);
    std::int64_t i = 0;
    for (auto _ : state)
        if (!pg_bulwark_select_once(db, i++ % kRows)) state.SkipWithError("no row");
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pg_bulwark_point_select)->Apply(with_iterations)->UseRealTime();

[[gnu::noinline]] bool pg_raw_insert_once(PGconn* conn, std::int64_t n) {
    const std::string id = std::to_string(n);
    const char* values[] = {id.c_str(), "inserted-value"};
    PGresult* r = PQexecPrepared(conn, "ins", 2, values, nullptr, nullptr, 0);
    const bool done = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return done;
}

void BM_pg_raw_insert(benchmark::State& state) {
    if (!pg_url()) return state.SkipWithError("BULWARK_TEST_DATABASE_URL not set");
    { auto db = open_or_die(pg_url()); pg_setup(db); }
    PGconn* conn = raw_pg_connect();
    PQclear(PQprepare(conn, "ins", "INSERT INTO bench_db_ins (id, v) VALUES ($1, $2)", 2, nullptr));
    std::int64_t i = 0;
    for (auto _ : state)
        if (!pg_raw_insert_once(conn, i++)) state.SkipWithError("insert failed");
    PQfinish(conn);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pg_raw_insert)->Apply(with_iterations)->UseRealTime();

[[gnu::noinline]] bool pg_bulwark_insert_once(Database& db, std::int64_t id) {
    auto r = db.execute("INSERT INTO bench_db_ins (id, v) VALUES (?, ?)", id, "inserted-value");
    return static_cast<bool>(r);
}

void BM_pg_bulwark_insert(benchmark::State& state) {
    if (!pg_url()) return state.SkipWithError("BULWARK_TEST_DATABASE_URL not set");
    auto db = open_or_die(pg_url());
    pg_setup(db);
    std::int64_t i = 0;
    for (auto _ : state)
        if (!pg_bulwark_insert_once(db, i++)) state.SkipWithError("insert failed");
    (void)db.execute_trusted_script("DROP TABLE IF EXISTS bench_db_kv; DROP TABLE IF EXISTS bench_db_ins;");
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_pg_bulwark_insert)->Apply(with_iterations)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
