// sqlite.cpp: the SQLite backend, for one machine with several processes and state that
// survives a restart. One table (key, value, expires_at in wall-clock ms, 0 = never), WAL
// so readers never block the writer, a busy timeout so a contended lock waits a bounded
// time and then answers `unavailable`. Atomic operations are single statements (UPSERT ...
// RETURNING) or one IMMEDIATE transaction, so they hold across processes, not just threads.
#include "backends.hpp"
#include "rate_math.hpp"

#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <vector>

namespace bulwark::store::detail {
namespace {

constexpr std::int64_t kSweepEveryMs = 1000;

std::int64_t wall_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

StoreError map_error(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY: return StoreError::unavailable;
        case SQLITE_TOOBIG: return StoreError::too_large;
        default: return StoreError::internal;
    }
}

// Stmt: a prepared statement that is reset on every use.
class Stmt {
public:
    Stmt() = default;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt() { sqlite3_finalize(stmt_); }
    int prepare(sqlite3* db, const char* sql) {
        return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    }
    Stmt& reset() {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        return *this;
    }
    Stmt& bind(int i, std::string_view text) {
        sqlite3_bind_blob(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        return *this;
    }
    Stmt& bind_text(int i, std::string_view text) {
        sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        return *this;
    }
    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(stmt_, i, v);
        return *this;
    }
    int step() { return sqlite3_step(stmt_); }
    std::string column_text(int i) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
        int n = sqlite3_column_bytes(stmt_, i);
        if (sqlite3_column_type(stmt_, i) == SQLITE_INTEGER) {
            p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
            n = sqlite3_column_bytes(stmt_, i);
        }
        return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
    }
    std::int64_t column_int(int i) { return sqlite3_column_int64(stmt_, i); }
    int column_type(int i) { return sqlite3_column_type(stmt_, i); }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

#define LIVE "(expires_at = 0 OR expires_at > ?2)"

class SqliteStore final : public Store {
public:
    ~SqliteStore() override {
        stmts_.clear();
        sqlite3_close_v2(db_);
    }

    int init(const SqliteOptions& o) {
        int rc = sqlite3_open_v2(o.path.c_str(), &db_,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) return rc;
        sqlite3_busy_timeout(db_, o.busy_timeout_ms);
        sqlite3_extended_result_codes(db_, 1);
        const char* setup =
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS bulwark_store ("
            " key BLOB PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER NOT NULL DEFAULT 0"
            ") WITHOUT ROWID;"
            "CREATE INDEX IF NOT EXISTS bulwark_store_expiry ON bulwark_store(expires_at) WHERE expires_at > 0;";
        rc = sqlite3_exec(db_, setup, nullptr, nullptr, nullptr);
        if (rc != SQLITE_OK) return rc;
        const char* sql[] = {
            /*kGet*/ "SELECT value FROM bulwark_store WHERE key = ?1 AND " LIVE,
            /*kSet*/ "INSERT INTO bulwark_store(key, value, expires_at) VALUES(?1, ?3, ?4) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            /*kSetIfAbsent*/ "INSERT INTO bulwark_store(key, value, expires_at) VALUES(?1, ?3, ?4) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at "
                             "WHERE NOT " LIVE,
            /*kTake*/ "DELETE FROM bulwark_store WHERE key = ?1 RETURNING value, " LIVE,
            /*kIncrement*/ "INSERT INTO bulwark_store(key, value, expires_at) VALUES(?1, ?3, ?4) "
                           "ON CONFLICT(key) DO UPDATE SET "
                           " value = CASE WHEN " LIVE " THEN value + ?3 ELSE ?3 END,"
                           " expires_at = CASE WHEN " LIVE " THEN expires_at ELSE ?4 END "
                           "WHERE typeof(value) = 'integer' OR NOT " LIVE " RETURNING value",
            /*kTtl*/ "SELECT expires_at FROM bulwark_store WHERE key = ?1 AND " LIVE,
            /*kSweep*/ "DELETE FROM bulwark_store WHERE key IN (SELECT key FROM bulwark_store "
                       "WHERE expires_at > 0 AND expires_at <= ?2 LIMIT 1000)",
            /*kBegin*/ "BEGIN IMMEDIATE",
            /*kCommit*/ "COMMIT",
            /*kRollback*/ "ROLLBACK",
        };
        stmts_ = std::vector<Stmt>(std::size(sql));
        for (std::size_t i = 0; i < std::size(sql); ++i) {
            rc = stmts_[i].prepare(db_, sql[i]);
            if (rc != SQLITE_OK) return rc;
        }
        return SQLITE_OK;
    }

    Result<std::optional<std::string>, StoreError> get(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::lock_guard lock(mu_);
        Stmt& s = stmt(kGet).bind(1, key).bind(2, wall_ms());
        int rc = s.step();
        if (rc == SQLITE_ROW) return std::optional<std::string>{s.column_text(0)};
        if (rc == SQLITE_DONE) return std::optional<std::string>{};
        return map_error(rc);
    }

    Result<void, StoreError> set(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        std::lock_guard lock(mu_);
        const auto now = wall_ms();
        int rc = stmt(kSet).bind(1, key).bind(2, now).bind(3, value).bind(4, expiry(ttl, now)).step();
        if (rc != SQLITE_DONE) return map_error(rc);
        maybe_sweep(now);
        return {};
    }

    Result<bool, StoreError> set_if_absent(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        std::lock_guard lock(mu_);
        const auto now = wall_ms();
        int rc = stmt(kSetIfAbsent).bind(1, key).bind(2, now).bind(3, value).bind(4, expiry(ttl, now)).step();
        if (rc != SQLITE_DONE) return map_error(rc);
        return sqlite3_changes(db_) > 0;
    }

    Result<std::optional<std::string>, StoreError> take(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::lock_guard lock(mu_);
        Stmt& s = stmt(kTake).bind(1, key).bind(2, wall_ms());
        int rc = s.step();
        std::optional<std::string> out;
        if (rc == SQLITE_ROW) {
            if (s.column_int(1) != 0) out = s.column_text(0);
            rc = s.step();
        }
        if (rc != SQLITE_DONE) return map_error(rc);
        return out;
    }

    Result<bool, StoreError> erase(std::string_view key) override {
        auto r = take(key);
        if (!r) return r.error();
        return r->has_value();
    }

    Result<std::int64_t, StoreError> increment(std::string_view key, std::int64_t by, Ttl ttl_if_new) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::lock_guard lock(mu_);
        const auto now = wall_ms();
        Stmt& s = stmt(kIncrement).bind(1, key).bind(2, now).bind(3, by).bind(4, expiry(ttl_if_new, now));
        int rc = s.step();
        if (rc == SQLITE_DONE) return StoreError::internal;  // the key holds something else
        if (rc != SQLITE_ROW) return map_error(rc);
        if (s.column_type(0) != SQLITE_INTEGER) return StoreError::internal;  // overflowed to real
        std::int64_t v = s.column_int(0);
        rc = s.step();
        if (rc != SQLITE_DONE) return map_error(rc);
        maybe_sweep(now);
        return v;
    }

    Result<std::optional<Ttl>, StoreError> ttl(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::lock_guard lock(mu_);
        const auto now = wall_ms();
        Stmt& s = stmt(kTtl).bind(1, key).bind(2, now);
        int rc = s.step();
        if (rc == SQLITE_DONE) return std::optional<Ttl>{};
        if (rc != SQLITE_ROW) return map_error(rc);
        std::int64_t at = s.column_int(0);
        if (at == 0) return std::optional<Ttl>{};
        return std::optional<Ttl>{Ttl{at - now}};
    }

    Result<void, StoreError> rate_hit(std::span<const RateRequest> reqs, std::span<RateOutcome> out) override {
        if (reqs.size() != out.size() || reqs.empty() || reqs.size() > 64) return StoreError::internal;
        for (const auto& r : reqs) {
            if (!key_ok(r.key)) return StoreError::too_large;
            if (!valid(r)) return StoreError::internal;
        }
        std::lock_guard lock(mu_);
        const auto now = wall_ms();
        int rc = stmt(kBegin).step();
        if (rc != SQLITE_DONE) return map_error(rc);
        auto result = rate_hit_locked(reqs, out, now);
        if (!result) {
            (void)stmt(kRollback).step();
            return result;
        }
        rc = stmt(kCommit).step();
        if (rc != SQLITE_DONE) {
            (void)stmt(kRollback).step();
            return map_error(rc);
        }
        maybe_sweep(now);
        return {};
    }

    std::string_view backend() const noexcept override { return "sqlite"; }

private:
    enum Index { kGet, kSet, kSetIfAbsent, kTake, kIncrement, kTtl, kSweep, kBegin, kCommit, kRollback };
    Stmt& stmt(Index i) { return stmts_[i].reset(); }
    static std::int64_t expiry(Ttl ttl, std::int64_t now) {
        return ttl.count() == 0 ? 0 : now + std::max<std::int64_t>(1, ttl.count());
    }

    Result<void, StoreError> rate_hit_locked(std::span<const RateRequest> reqs, std::span<RateOutcome> out,
                                             std::int64_t now) {
        std::vector<RateStep> steps(reqs.size());
        bool all = true;
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            Stmt& s = stmt(kGet).bind(1, reqs[i].key).bind(2, now);
            int rc = s.step();
            std::optional<RateState> st;
            if (rc == SQLITE_ROW) st = decode_state(s.column_text(0));
            else if (rc != SQLITE_DONE) return map_error(rc);
            steps[i] = rate_step(st ? &*st : nullptr, reqs[i]);
            all = all && steps[i].outcome.allowed;
        }
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            out[i] = steps[i].outcome;
            if (!all && (steps[i].outcome.allowed || !steps[i].outcome.first_rejection)) continue;
            std::string text = encode_state(all ? steps[i].if_counted : steps[i].if_rejected);
            int rc = stmt(kSet).bind(1, reqs[i].key).bind(2, now).bind(3, text).bind(4, now + steps[i].keep_ms).step();
            if (rc != SQLITE_DONE) return map_error(rc);
        }
        return {};
    }

    void maybe_sweep(std::int64_t now) {
        if (now - last_sweep_ < kSweepEveryMs) return;
        last_sweep_ = now;
        (void)stmt(kSweep).bind(2, now).step();  // best effort: a busy sweep is retried later
    }

    std::mutex mu_;
    sqlite3* db_ = nullptr;
    std::vector<Stmt> stmts_;
    std::int64_t last_sweep_ = 0;
};

}  // namespace

Result<std::shared_ptr<Store>, StoreError> make_sqlite_store(const SqliteOptions& options) {
    auto store = std::make_shared<SqliteStore>();
    int rc = store->init(options);
    if (rc != SQLITE_OK) return map_error(rc) == StoreError::internal ? StoreError::unavailable : map_error(rc);
    return std::shared_ptr<Store>(std::move(store));
}

}  // namespace bulwark::store::detail
