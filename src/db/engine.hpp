// engine.hpp (private): the connection interface both backends implement, and the pool.
#pragma once

#include <bulwark/db.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace bulwark::db::detail {

using ColumnNames = std::shared_ptr<const std::vector<std::string>>;

// Connection: one driver connection, used by one thread at a time.
class Connection {
public:
    virtual ~Connection() = default;
    virtual Result<std::int64_t, DbError> execute(Sql sql, std::span<const Param> params) = 0;
    virtual Result<std::vector<Row>, DbError> query(Sql sql, std::span<const Param> params,
                                                    std::size_t max_rows) = 0;
    virtual Result<void, DbError> script(std::string_view trusted_sql) = 0;
    // broken: the connection cannot be reused (the pool drops it).
    virtual bool broken() const = 0;
    // check_health is called before reusing a connection idle for a while.
    virtual Result<void, DbError> check_health() = 0;
    // last_commit_rolled_back: after COMMIT, whether it rolled back instead (PostgreSQL turns COMMIT of a
    // failed transaction into ROLLBACK and reports success).
    virtual bool last_commit_rolled_back() const { return false; }
    // in_transaction: a transaction is open (a stray BEGIN run outside Transaction).
    virtual bool in_transaction() const = 0;

    std::chrono::steady_clock::time_point last_used{};
};

Result<std::unique_ptr<Connection>, DbError> open_sqlite(const std::string& path, const Options& options);
Result<std::unique_ptr<Connection>, DbError> open_postgresql(const std::string& conninfo, const Options& options);

// Engine: the pool behind a Database, and the per-thread transaction pins.
class Engine : public std::enable_shared_from_this<Engine> {
public:
    Engine(ParsedUrl url, Options options);
    ~Engine();
    Backend backend() const noexcept { return url_.backend; }

    Result<std::unique_ptr<Connection>, DbError> acquire();
    void release(std::unique_ptr<Connection> conn);
    // pinned: this thread's transaction connection on this engine, or nullptr.
    Connection* pinned() const noexcept;
    // pinned_depth: this thread's transaction depth on this engine (0 = none).
    std::size_t pinned_depth() const noexcept;

    Result<std::size_t, DbError> begin(Isolation isolation);
    Result<void, DbError> finish(std::size_t depth, bool commit);

private:
    Result<std::unique_ptr<Connection>, DbError> connect();
    ParsedUrl url_;
    Options options_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
};

}  // namespace bulwark::db::detail

namespace bulwark::db::detail {
std::string format_time_utc(std::int64_t micros);
std::optional<TimePoint> parse_time(std::string_view text);
}  // namespace bulwark::db::detail
