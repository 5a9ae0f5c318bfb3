// engine.cpp: the connection pool, per-thread transaction pins, Database and Transaction.
//
// A call takes an idle connection (or opens one, up to max_connections; beyond that it waits
// up to acquire_timeout) and gives it back after. A transaction instead pins its connection to
// the thread until it ends, so every call of that thread on that Database joins it.
#include "engine.hpp"

#include <bulwark/crypto.hpp>

#include <algorithm>
#include <optional>
#include <thread>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace bulwark::db {
namespace detail {
namespace {

struct Pin {
    const Engine* engine;
    std::unique_ptr<Connection> conn;
    std::size_t depth;  // 1 = the outer transaction, 2+ = savepoints
};
thread_local std::vector<Pin> t_pins;

// OneRow: the row one() fills on this thread, kept between lookups (RowAccess). `busy` while a
// row is being mapped: a lookup nested in a from_row takes a row of its own.
struct OneRow {
    Row row = RowAccess::blank();
    bool busy = false;
};
thread_local OneRow t_one_row;
// A value whose storage grew past this is let go after the lookup (one big text is not kept).
constexpr std::size_t kKeptValueBytes = 4096;

Pin* find_pin(const Engine* engine) noexcept {
    for (Pin& p : t_pins)
        if (p.engine == engine) return &p;
    return nullptr;
}

// query_one_acquired: query_one on a connection from acquire(), given back after (PostgreSQL's
// every call; inlined, as a call of its own it cost PostgreSQL's one() ~30 instructions).
[[gnu::always_inline]] inline Result<bool, DbError> query_one_acquired(Engine& engine, const Sql& sql,
                                                                       std::span<const Param> params, Row& row,
                                                                       bool first_of_many) {
    auto conn = engine.acquire();
    if (!conn) return conn.error();
    auto found = (*conn)->query_one(sql, params, row, first_of_many);
    engine.release(std::move(*conn));
    return found;
}

// query_one_into: Database::run_query_one's lookup into `row`, on this thread's transaction or
// a connection borrowed for the call (SQLite's given back last taken straight from its slot).
[[gnu::always_inline]] inline Result<bool, DbError> query_one_into(Engine& engine, const Sql& sql, std::span<const Param> params,
                                                                   Row& row, bool (*map)(const Row&, void*), void* out,
                                                                   bool first_of_many) {
    Pin* pin = t_pins.empty() ? nullptr : find_pin(&engine);
    Connection* pinned = pin != nullptr ? pin->conn.get() : nullptr;
    Connection* hot = pinned == nullptr ? engine.take_hot() : nullptr;
    Result<bool, DbError> found = pinned ? pinned->query_one(sql, params, row, first_of_many)
                                  : hot  ? hot->query_one(sql, params, row, first_of_many)
                                         : query_one_acquired(engine, sql, params, row, first_of_many);
    if (hot != nullptr) engine.give_back(hot);
    if (found && *found && !map(row, out)) found = DbError(ErrorCode::type_mismatch, "row mapping failed");
    return found;
}

Sql begin_sql(Backend backend, Isolation isolation) {
    if (backend == Backend::sqlite) return "BEGIN IMMEDIATE";
    switch (isolation) {
        case Isolation::repeatable_read: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
        case Isolation::serializable: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
        case Isolation::read_committed: break;
    }
    return "BEGIN ISOLATION LEVEL READ COMMITTED";
}

#if defined(__linux__)
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) && std::atomic<std::uint32_t>::is_always_lock_free);

// The gate's waiters sleep on a futex: unlike std::atomic::wait it takes a timeout, and unlike a
// condition variable it needs no mutex to wake up from. A wake may reach a word whose waiter has
// already gone (seen its state and returned): the kernel then wakes no one, or gives a spurious
// wake-up to a later waiter on that address, which every waiter here and in glibc re-checks.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const timespec* relative) noexcept {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, relative, nullptr, 0);
}
void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
    syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}
#else
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected, const timespec* relative) noexcept {
    if (relative == nullptr) word.wait(expected, std::memory_order_acquire);
    else std::this_thread::sleep_for(std::chrono::microseconds(200));
}
void futex_wake(std::atomic<std::uint32_t>& word) noexcept { word.notify_all(); }
#endif

}  // namespace

WriterGate::State WriterGate::wait_turn(Waiter& me, std::unique_lock<std::mutex>& lock, std::chrono::milliseconds timeout) {
    (tail_ ? tail_->next : head_) = &me;
    tail_ = &me;
    lock.unlock();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (const auto s = me.state.load(std::memory_order_acquire); s != in_line) return static_cast<State>(s);
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::nanoseconds::zero()) break;
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
        const timespec relative{static_cast<time_t>(secs.count()),
                                static_cast<long>(std::chrono::nanoseconds(left - secs).count())};
        futex_wait(me.state, in_line, &relative);
    }
    // The turn and a group change the state under the mutex: looked at under it, this is final.
    lock.lock();
    const auto s = static_cast<State>(me.state.load(std::memory_order_acquire));
    if (s == in_line) {
        // Out of the line; the turn was never handed to us, so nothing else to undo.
        Waiter* prev = nullptr;
        for (Waiter* w = head_; w != &me; w = w->next) prev = w;
        (prev ? prev->next : head_) = me.next;
        if (tail_ == &me) tail_ = prev;
    }
    lock.unlock();
    return s;
}

bool WriterGate::enter(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!held_) {
        held_ = true;
        return true;
    }
    Waiter me;
    return wait_turn(me, lock, timeout) == granted;
}

WriterGate::Turn WriterGate::enter_write(GroupWrite& write, std::chrono::milliseconds timeout,
                                         std::vector<GroupWrite*>& group) {
    std::unique_lock lock(mutex_);
    if (!held_) {
        held_ = true;
    } else {
        Waiter me;
        me.write = &write;
        write.waiter = &me;
        switch (wait_turn(me, lock, timeout)) {
            case in_line: return Turn::timed_out;
            case granted: lock.lock(); break;
            case taken:
            case done:
                // The leader reads `write` until it sets done; no timeout here, its statements have theirs.
                while (me.state.load(std::memory_order_acquire) != done) futex_wait(me.state, taken, nullptr);
                return Turn::joined;
        }
    }
    take_followers(write, group);
    return Turn::lead;
}

void WriterGate::take_followers(GroupWrite& own, std::vector<GroupWrite*>& group) {
    group.clear();
    group.push_back(&own);
    // Only the writes at the head of the line, in order: one that needs the turn alone stops
    // the group, so no one is overtaken. A follower sleeps on until finish_group.
    while (head_ != nullptr && head_->write != nullptr && group.size() < kMaxGroupWrites) {
        Waiter* w = head_;
        head_ = w->next;
        if (head_ == nullptr) tail_ = nullptr;
        w->state.store(taken, std::memory_order_relaxed);
        group.push_back(w->write);
    }
}

void WriterGate::finish_group(std::span<GroupWrite* const> group) noexcept {
    // The next leader first: its commit is the longest wait of everyone behind it.
    leave();
    for (std::size_t i = 1; i < group.size(); ++i) {
        auto* w = static_cast<Waiter*>(group[i]->waiter);
        // From this store on, the follower may return: its write and waiter are not read again.
        w->state.store(done, std::memory_order_release);
        futex_wake(w->state);
    }
}

void WriterGate::leave() noexcept {
    Waiter* next = nullptr;
    {
        std::lock_guard lock(mutex_);
        next = head_;
        if (next == nullptr) {
            held_ = false;
            return;
        }
        head_ = next->next;
        if (head_ == nullptr) tail_ = nullptr;
        next->state.store(granted, std::memory_order_release);
    }
    // Woken outside the mutex, which it takes at once to gather its group.
    futex_wake(next->state);
}

Engine::Engine(ParsedUrl url, Options options) : url_(std::move(url)), options_(options) {
    if (url_.backend == Backend::sqlite && url_.sqlite_path == ":memory:") options_.max_connections = 1;
    if (options_.max_connections == 0) options_.max_connections = 1;
}

Engine::~Engine() { delete hot_.exchange(nullptr); }

Result<std::unique_ptr<Connection>, DbError> Engine::connect() {
    if (url_.backend == Backend::sqlite) return open_sqlite(url_.sqlite_path, options_, &gate_);
    return open_postgresql(url_.pg_conninfo, options_);
}

Result<std::unique_ptr<Connection>, DbError> Engine::checked(std::unique_ptr<Connection> conn) {
    // A SQLite connection has no server to lose (its check_health is a no-op): no clock to read.
    if (url_.backend == Backend::sqlite || CoarseClock::now() - conn->last_used < options_.health_check_after_idle ||
        conn->check_health())
        return conn;
    // The connection died while idle (server restart, network): replace it.
    conn.reset();
    auto fresh = connect();
    if (!fresh) {
        std::lock_guard lock(mutex_);
        --open_;
        if (waiting_ > 0) freed_.notify_one();
    }
    return fresh;
}

Result<std::unique_ptr<Connection>, DbError> Engine::acquire() {
    if (Connection* hot = hot_.exchange(nullptr)) return checked(std::unique_ptr<Connection>(hot));
    std::unique_lock lock(mutex_);
    // The deadline is read only when the pool is exhausted: the common path reads no clock but
    // the coarse one.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    for (;;) {
        if (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            lock.unlock();
            return checked(std::move(conn));
        }
        if (open_ < options_.max_connections) {
            ++open_;
            lock.unlock();
            auto fresh = connect();
            if (!fresh) {
                lock.lock();
                --open_;
                if (waiting_ > 0) freed_.notify_one();
            }
            return fresh;
        }
        if (!deadline) deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
        // Counted as waiting before hot_ is looked at: release() puts a connection in hot_ before
        // it reads waiting_ (both sequentially consistent), so either this thread sees the
        // connection or release() sees the waiter and signals under the mutex, which this thread
        // holds until it waits. No wake-up is lost.
        ++waiting_;
        if (Connection* hot = hot_.exchange(nullptr)) {
            --waiting_;
            lock.unlock();
            return checked(std::unique_ptr<Connection>(hot));
        }
        const auto waited = freed_.wait_until(lock, *deadline);
        --waiting_;
        if (waited == std::cv_status::timeout && idle_.empty() && open_ >= options_.max_connections) {
            if (Connection* hot = hot_.exchange(nullptr)) {
                lock.unlock();
                return checked(std::unique_ptr<Connection>(hot));
            }
            return DbError(ErrorCode::timeout, "no free connection within acquire_timeout");
        }
    }
}

void Engine::release(std::unique_ptr<Connection> conn) {
    // A pooled connection must come back clean: the next borrower must not join a
    // transaction someone opened with a bare BEGIN.
    const bool broken = conn->broken() || (conn->in_transaction() && (!conn->script("ROLLBACK") || conn->broken()));
    if (broken) conn.reset();
    else if (url_.backend != Backend::sqlite) conn->last_used = CoarseClock::now();  // for checked()
    if (!broken) {
        // Into hot_ without the mutex when it is free; a waiter, if any, is signalled (acquire).
        Connection* empty = nullptr;
        if (hot_.compare_exchange_strong(empty, conn.get())) {
            conn.release();
            if (waiting_ == 0) return;
            // Taking the mutex orders this after a waiter's look at hot_; the signal goes after
            // it is let go, so the waiter wakes to a free mutex instead of queueing for it.
            { std::lock_guard lock(mutex_); }
            freed_.notify_one();
            return;
        }
    }
    bool signal = false;
    {
        std::lock_guard lock(mutex_);
        if (broken) --open_;
        else idle_.push_back(std::move(conn));
        signal = waiting_ > 0;
    }
    if (signal) freed_.notify_one();
}

void Engine::notify_waiter() {
    std::lock_guard lock(mutex_);
    freed_.notify_one();
}

Connection* Engine::pinned() const noexcept {
    Pin* p = find_pin(this);
    return p ? p->conn.get() : nullptr;
}

std::size_t Engine::pinned_depth() const noexcept {
    Pin* p = find_pin(this);
    return p ? p->depth : 0;
}

Result<std::size_t, DbError> Engine::begin(Isolation isolation) {
    if (Pin* p = find_pin(this)) {
        auto r = p->conn->execute("SAVEPOINT bulwark_sp", {});
        if (!r) return r.error();
        return ++p->depth;
    }
    auto conn = acquire();
    if (!conn) return conn.error();
    // SQLite: BEGIN IMMEDIATE takes the writers' turn (sqlite.cpp) with the connection already
    // in hand, so whoever holds the turn never waits for the pool; COMMIT or ROLLBACK hands it on.
    auto r = (*conn)->execute(begin_sql(url_.backend, isolation), {});
    if (!r) {
        release(std::move(*conn));
        return r.error();
    }
    t_pins.push_back(Pin{this, std::move(*conn), 1});
    return std::size_t{1};
}

Result<void, DbError> Engine::finish(std::size_t depth, bool commit) {
    Pin* p = find_pin(this);
    if (p == nullptr || p->depth != depth)
        return DbError(ErrorCode::misuse, "transaction ended out of order or on another thread");
    Connection& conn = *p->conn;
    Result<void, DbError> outcome;
    if (depth > 1) {
        if (!commit) {
            auto r = conn.execute("ROLLBACK TO SAVEPOINT bulwark_sp", {});
            if (!r) outcome = r.error();
        }
        auto r = conn.execute("RELEASE SAVEPOINT bulwark_sp", {});
        if (!r && outcome) outcome = r.error();
        --p->depth;
        return outcome;
    }
    if (commit) {
        auto r = conn.execute("COMMIT", {});
        if (!r) {
            outcome = r.error();
            (void)conn.execute("ROLLBACK", {});  // SQLite keeps the transaction open on a failed COMMIT
        } else if (conn.last_commit_rolled_back()) {
            outcome = DbError(ErrorCode::misuse, "transaction had failed; COMMIT rolled it back");
        }
    } else {
        auto r = conn.execute("ROLLBACK", {});
        if (!r) outcome = r.error();
    }
    auto owned = std::move(p->conn);
    t_pins.erase(t_pins.begin() + (p - t_pins.data()));
    release(std::move(owned));
    return outcome;
}

void retry_sleep(const RetryOptions& options, int attempt) {
    // Full jitter (random in [0, cap)) keeps competing writers from retrying in lockstep.
    auto cap = options.first_delay * (1LL << std::min(attempt - 1, 16));
    cap = std::min<std::chrono::milliseconds>(cap, options.max_delay);
    const auto us = static_cast<std::uint32_t>(std::max<std::int64_t>(1, cap.count() * 1000));
    std::this_thread::sleep_for(std::chrono::microseconds(crypto::random_uniform(us)));
}

}  // namespace detail

Result<Database, DbError> Database::open(std::string_view url, Options options) {
    auto parsed = detail::parse_url(url);
    if (!parsed) return parsed.error();
    auto engine = std::make_shared<detail::Engine>(std::move(*parsed), options);
    auto conn = engine->acquire();  // fail fast on a bad path, host or password
    if (!conn) return conn.error();
    engine->release(std::move(*conn));
    return Database(std::move(engine));
}

Backend Database::backend() const noexcept { return engine_->backend(); }

Result<std::int64_t, DbError> Database::run_execute(Sql sql, std::span<const detail::Param> params) {
    if (params.size() != sql.placeholder_count()) return DbError(ErrorCode::bind_mismatch, "argument count differs from placeholders");
    if (auto* conn = engine_->pinned()) return conn->execute(sql, params);
    auto conn = engine_->acquire();
    if (!conn) return conn.error();
    auto r = (*conn)->execute(sql, params);
    engine_->release(std::move(*conn));
    return r;
}

Result<void, DbError> Database::run_query_into(Sql sql, std::span<const detail::Param> params,
                                              std::vector<Row>& out) {
    if (params.size() != sql.placeholder_count()) return DbError(ErrorCode::bind_mismatch, "argument count differs from placeholders");
    if (auto* conn = engine_->pinned()) return conn->query(sql, params, kMaxRows, out);
    auto conn = engine_->acquire();
    if (!conn) return conn.error();
    auto r = (*conn)->query(sql, params, kMaxRows, out);
    engine_->release(std::move(*conn));
    return r;
}

Result<std::vector<Row>, DbError> Database::run_query(Sql sql, std::span<const detail::Param> params) {
    std::vector<Row> rows;
    if (auto r = run_query_into(sql, params, rows); !r) return r.error();
    return rows;
}

Result<bool, DbError> Database::run_query_one(Sql sql, std::span<const detail::Param> params, RowMapper map,
                                              void* out, bool first_of_many) {
    // one() runs on every point lookup: the backend fills this thread's row in place (no row
    // list, no allocation), and the row is mapped after the connection is given back, so a
    // from_row that queries again never waits for the connection it would be holding.
    if (params.size() != sql.placeholder_count()) return DbError(ErrorCode::bind_mismatch, "argument count differs from placeholders");
    detail::OneRow& kept = detail::t_one_row;
    if (kept.busy) {  // a lookup nested in a from_row: the kept row is still being read
        Row own = detail::RowAccess::blank();
        return detail::query_one_into(*engine_, sql, params, own, map, out, first_of_many);
    }
    struct Busy {  // the kept row is busy while it is filled and mapped (from_row may throw)
        detail::OneRow& kept;
        ~Busy() {
            kept.busy = false;
            detail::RowAccess::trim(kept.row, detail::kKeptValueBytes);
        }
    } busy{kept};
    kept.busy = true;
    detail::RowAccess::clear_failed(kept.row);
    return detail::query_one_into(*engine_, sql, params, kept.row, map, out, first_of_many);
}

Result<void, DbError> Database::execute_trusted_script(std::string_view trusted_sql) {
    if (auto* conn = engine_->pinned()) return conn->script(trusted_sql);
    auto conn = engine_->acquire();
    if (!conn) return conn.error();
    auto r = (*conn)->script(trusted_sql);
    engine_->release(std::move(*conn));
    return r;
}

Result<Transaction, DbError> Database::transaction(Isolation isolation) {
    auto depth = engine_->begin(isolation);
    if (!depth) return depth.error();
    return Transaction(engine_, *depth);
}

Transaction::Transaction(Transaction&& other) noexcept
    : engine_(std::move(other.engine_)), depth_(other.depth_), active_(other.active_) {
    other.active_ = false;
}

Transaction::~Transaction() {
    if (active_) (void)finish(false);
}

Result<void, DbError> Transaction::commit() { return finish(true); }
Result<void, DbError> Transaction::rollback() { return finish(false); }

Result<void, DbError> Transaction::finish(bool commit) {
    if (!active_) return DbError(ErrorCode::misuse, "transaction already ended");
    // Ending an outer transaction while a savepoint is open is refused and leaves it
    // active, so its destructor still rolls it back.
    if (engine_->pinned_depth() != depth_)
        return DbError(ErrorCode::misuse, "transaction ended out of order or on another thread");
    active_ = false;
    return engine_->finish(depth_, commit);
}

std::optional<Sql> choose_sql(std::string_view untrusted_key, std::initializer_list<SqlChoice> allowlist) {
    for (const SqlChoice& choice : allowlist)
        if (choice.key == untrusted_key) return choice.sql;
    return std::nullopt;
}

}  // namespace bulwark::db
