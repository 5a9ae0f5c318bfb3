// engine.hpp (private): the connection interface both backends implement, and the pool.
#pragma once

#include <bulwark/db.hpp>

#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace bulwark::db::detail {

using ColumnNames = std::shared_ptr<const std::vector<std::string>>;

// CoarseClock: CLOCK_MONOTONIC_COARSE (a few milliseconds' resolution), read at every acquire and
// release of a pooled connection; the idle health check needs no finer clock, and this one costs
// a memory read where steady_clock goes to the hardware.
struct CoarseClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<CoarseClock>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};

// LiteralHash / LiteralEqual key the per-connection statement caches by the literal's address
// and length: a query's text is a literal with static storage, so hashing the address takes a
// few instructions where hashing the text took a hundred on every call. The same text at two
// addresses simply gets two entries. A hit is confirmed by comparing the text with the copy in
// the entry (StatementCache::find), so an address reused after a library is unloaded never runs
// another statement.
struct LiteralHash {
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<const void*>{}(s.data()) ^ (s.size() << 1);
    }
};
struct LiteralEqual {
    bool operator()(std::string_view a, std::string_view b) const noexcept {
        return a.data() == b.data() && a.size() == b.size();
    }
};

// StatementCache: per-connection prepared statements, T carrying the driver's handle.
template <class T>
class StatementCache {
public:
    struct Entry {
        std::string text;  // the literal's text, to confirm a hit
        T value;
    };
    // find: the entry for this literal, or nullptr (a stale entry at a reused address is erased
    // and `on_stale` given its value to release).
    template <class F>
    Entry* find(std::string_view text, F&& on_stale) {
        // The statement used last is looked at first (a request runs one query again and again),
        // and is confirmed by its text like any other hit.
        if (auto* hit = find_last(text)) return hit;
        auto it = map_.find(text);
        if (it == map_.end()) return nullptr;
        if (it->second.text == text) return remember(it->first, &it->second);
        last_ = nullptr;
        on_stale(it->second.value);
        map_.erase(it);
        return nullptr;
    }
    // find_last: the entry used last when it is this literal's (find's first look), or nullptr.
    Entry* find_last(std::string_view text) const noexcept {
        return last_ != nullptr && text.data() == last_key_ && last_->text == text ? last_ : nullptr;
    }
    Entry* insert(std::string_view text, T value) {
        last_ = nullptr;
        auto it = map_.insert_or_assign(text, Entry{std::string(text), std::move(value)}).first;
        return remember(it->first, &it->second);
    }
    std::size_t size() const noexcept { return map_.size(); }
    template <class F>
    void clear(F&& release) {
        last_ = nullptr;
        for (auto& [key, entry] : map_) release(entry.value);
        map_.clear();
    }

private:
    Entry* remember(std::string_view key, Entry* entry) noexcept {
        last_key_ = key.data();
        last_ = entry;
        return entry;
    }
    std::unordered_map<std::string_view, Entry, LiteralHash, LiteralEqual> map_;
    // last_: the entry found or inserted last (unordered_map nodes stay put), keyed by address.
    Entry* last_ = nullptr;
    const char* last_key_ = nullptr;
};

// Connection: one driver connection, used by one thread at a time.
class Connection {
public:
    virtual ~Connection() = default;
    virtual Result<std::int64_t, DbError> execute(Sql sql, std::span<const Param> params) = 0;
    // query appends the rows to `out` (empty on entry; whatever it holds after an error is
    // discarded), so a caller can reuse its capacity.
    virtual Result<void, DbError> query(Sql sql, std::span<const Param> params, std::size_t max_rows,
                                        std::vector<Row>& out) = 0;
    // query_one: the point lookup of Database::one(). Fills `row` (empty on entry) when there is
    // exactly one row and answers true; false for none; a second row is ErrorCode::multiple_rows
    // (found by stepping once more, the rows after it are not read).
    // With first_of_many, the first of several rows is the answer (no further step; Database::first).
    virtual Result<bool, DbError> query_one(const Sql& sql, std::span<const Param> params, Row& row, bool first_of_many) = 0;
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
    // clean: fit to hand to the next caller as it is (not broken, no transaction open): the
    // pool's check in give_back, one call.
    virtual bool clean() const { return !broken() && !in_transaction(); }

    CoarseClock::time_point last_used{};
};

// WriterGate: the SQLite writers of one Database, queued in arrival order. SQLite lets one
// writer at a time hold a file's write lock and makes the others poll in its busy handler,
// sleeping ever longer (up to 100 ms between tries) without any order: under load a writer can
// lose every race until busy_timeout runs out, and the p99 of a write grows to seconds. The
// gate hands the turn from one writer straight to the next in line, so a writer of this process
// waits only for those ahead of it; SQLite's busy handler is left to guard against writers of
// other processes (or another Database on the same file), which the gate does not see.
//
// Group commit: autocommit single-statement writes (enter_write) that queue at the gate are run
// by the first of them to get the turn, the leader, on its own connection in one transaction,
// each in its own savepoint, so one fsync makes the whole group durable (synchronous=FULL stays
// on: every caller returns only after the COMMIT holding its write). The leader takes the
// writes waiting right behind it in the line, in order, up to kMaxGroupWrites, and stops at
// the first waiter that needs the turn alone (a transaction, a script); those who joined block
// until the leader is done, so it may read their statement and bound values from their frames.
// Thread-safe; a turn is entered and left on one thread.
class WriterGate {
public:
    // GroupWrite: one autocommit write that another writer may run inside its group.
    struct GroupWrite {
        Sql sql;
        std::span<const Param> params;
        Result<std::int64_t, DbError> result = std::int64_t{0};  // set by whoever runs it
        // Set by take_followers (under the gate's mutex): the waiter to wake once `result` is set.
        void* waiter = nullptr;
    };
    enum class Turn { lead, joined, timed_out };
    // At most this many writes per group: bounds the leader's transaction (and so the wait of
    // those behind it) and the work lost to a failure that rolls the whole group back.
    static constexpr std::size_t kMaxGroupWrites = 32;

    // enter waits up to `timeout` for this thread's turn; false when the turn did not come.
    [[nodiscard]] bool enter(std::chrono::milliseconds timeout);
    // enter_write: `write` waits up to `timeout` in line. lead: this thread has the turn and
    // `group` lists the writes to run, `write` first (a group of one runs as a plain statement);
    // joined: a leader took `write` and has run it (write.result); timed_out: neither came.
    [[nodiscard]] Turn enter_write(GroupWrite& write, std::chrono::milliseconds timeout,
                                   std::vector<GroupWrite*>& group);
    // finish_group: the leader's group is done (each result set): wakes group[1..], hands the turn on.
    void finish_group(std::span<GroupWrite* const> group) noexcept;
    // leave hands the turn to the longest waiter, or opens the gate.
    void leave() noexcept;

private:
    // A waiter sleeps on its own word, not on a condition variable of the gate's mutex: woken, it
    // goes on without taking the mutex again, so a group's followers do not queue for the lock
    // the leader still holds (on a busy core each wake-up under it cost a second sleep).
    enum State : std::uint32_t { in_line = 0, granted = 1, taken = 2, done = 3 };
    struct Waiter {
        std::atomic<std::uint32_t> state{in_line};  // changed under the mutex, but `done`
        GroupWrite* write = nullptr;  // set for enter_write: may be taken into a group
        Waiter* next = nullptr;
    };
    // wait_turn: `me` in line until granted the turn or taken into a group (its state then);
    // in_line (out of the line again) when `timeout` passed first. Called and returns unlocked.
    State wait_turn(Waiter& me, std::unique_lock<std::mutex>& lock, std::chrono::milliseconds timeout);
    void take_followers(GroupWrite& own, std::vector<GroupWrite*>& group);
    std::mutex mutex_;
    bool held_ = false;  // while false, no one waits (leave hands over directly)
    Waiter* head_ = nullptr;
    Waiter* tail_ = nullptr;
};

// RowAccess: a backend fills a Row's values in place (query_one) instead of building a new Row.
// one()'s row is kept per thread and filled lookup after lookup: its slots, and the strings in
// them, are overwritten, so a point lookup allocates nothing once they have grown.
struct RowAccess {
    static Row blank() { return Row(); }
    // set_names: the pointer is compared first, so the same statement again costs no reference count.
    static void set_names(Row& row, const ColumnNames& names) {
        if (row.names_ != names) row.names_ = names;
    }
    static std::vector<Value>& values(Row& row) noexcept { return row.values_; }
    static void clear_failed(Row& row) noexcept { row.failed_ = false; }
    // trim lets go of a text or blob whose storage grew past `limit` (one big value is not kept).
    static void trim(Row& row, std::size_t limit) noexcept {
        for (Value& v : row.values_) {
            if (v.index() == 3 ? std::get<3>(v).capacity() > limit : v.index() == 4 && std::get<4>(v).capacity() > limit)
                v.emplace<std::monostate>();
        }
    }
};

// assign_text / assign_bytes: `out` becomes the value, reusing the string or buffer it holds.
[[gnu::always_inline]] inline void assign_text(Value& out, const char* p, std::size_t n) {
    if (auto* s = std::get_if<std::string>(&out)) s->assign(p, n);
    else out.emplace<std::string>(p, n);
}
inline void assign_bytes(Value& out, const std::uint8_t* p, std::size_t n) {
    if (auto* b = std::get_if<Bytes>(&out)) b->assign(p, p + n);
    else out.emplace<Bytes>(p, p + n);
}

// open_sqlite: `gate` queues this connection's writes with the other connections of its Database.
Result<std::unique_ptr<Connection>, DbError> open_sqlite(const std::string& path, const Options& options,
                                                         WriterGate* gate);
Result<std::unique_ptr<Connection>, DbError> open_postgresql(const std::string& conninfo, const Options& options);

// Engine: the pool behind a Database, and the per-thread transaction pins.
class Engine : public std::enable_shared_from_this<Engine> {
public:
    Engine(ParsedUrl url, Options options);
    ~Engine();
    Backend backend() const noexcept { return url_.backend; }

    Result<std::unique_ptr<Connection>, DbError> acquire();
    // take_hot: acquire's fast path for SQLite, whose connections need no health check: the
    // connection given back last, or nullptr (then acquire()).
    Connection* take_hot() noexcept { return url_.backend == Backend::sqlite ? hot_.exchange(nullptr) : nullptr; }
    void release(std::unique_ptr<Connection> conn);
    // give_back: release() for a connection take_hot() gave (owned again by the pool): back
    // into hot_ when it is clean and hot_ is empty (a waiter, if any, signalled), else release().
    void give_back(Connection* conn) {
        Connection* empty = nullptr;
        if (!conn->clean() || !hot_.compare_exchange_strong(empty, conn)) return release(std::unique_ptr<Connection>(conn));
        if (waiting_ != 0) notify_waiter();
    }
    // pinned: this thread's transaction connection on this engine, or nullptr.
    Connection* pinned() const noexcept;
    // pinned_depth: this thread's transaction depth on this engine (0 = none).
    std::size_t pinned_depth() const noexcept;

    Result<std::size_t, DbError> begin(Isolation isolation);
    Result<void, DbError> finish(std::size_t depth, bool commit);

private:
    Result<std::unique_ptr<Connection>, DbError> connect();
    void notify_waiter();  // under the mutex
    // checked: an idle connection, health-checked when it has been idle for long, else a fresh one.
    Result<std::unique_ptr<Connection>, DbError> checked(std::unique_ptr<Connection> conn);
    ParsedUrl url_;
    Options options_;
    WriterGate gate_;  // SQLite only: transactions and writing statements take turns here; outlives the pool
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
    std::size_t open_ = 0;
    std::atomic<std::size_t> waiting_ = 0;  // threads in acquire() waiting for a connection (notify only then)
    // hot_: the connection given back last, handed to the next call without the mutex (the
    // common case of one call after another). Idle like those in idle_; see release().
    std::atomic<Connection*> hot_ = nullptr;
};

}  // namespace bulwark::db::detail

namespace bulwark::db::detail {
std::string format_time_utc(std::int64_t micros);
std::optional<TimePoint> parse_time(std::string_view text);
}  // namespace bulwark::db::detail
