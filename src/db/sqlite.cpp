// sqlite.cpp: the SQLite connection.
//
// Each connection: WAL (readers do not block the writer), foreign_keys=ON (off by default in
// SQLite!), busy_timeout, synchronous=FULL unless Durability::normal, and a cache of prepared
// statements keyed by the literal (engine.hpp, StatementCache). A statement deadline is enforced
// with a progress handler, since SQLite has no statement_timeout of its own; it reads the coarse
// clock, which is plenty for a limit of seconds and cheap enough to read on every statement.
// Autocommit writes of one Database share commits (group commit, engine.hpp WriterGate):
// execute_grouped, run_group.
#include "engine.hpp"

#include <sqlite3.h>

#include <climits>

namespace bulwark::db::detail {
namespace {

DbError sqlite_error(sqlite3* db, int rc) {
    const int ext = db ? sqlite3_extended_errcode(db) : rc;
    std::string diag = "sqlite: ";
    diag += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    ErrorCode code = ErrorCode::internal;
    switch (ext) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_ROWID: code = ErrorCode::unique_violation; break;
        case SQLITE_CONSTRAINT_FOREIGNKEY: code = ErrorCode::foreign_key_violation; break;
        case SQLITE_CONSTRAINT_NOTNULL: code = ErrorCode::not_null_violation; break;
        case SQLITE_CONSTRAINT_CHECK: code = ErrorCode::check_violation; break;
        default:
            switch (ext & 0xff) {
                case SQLITE_BUSY:
                case SQLITE_LOCKED: code = ErrorCode::busy; break;
                case SQLITE_INTERRUPT: code = ErrorCode::timeout; break;
                case SQLITE_TOOBIG: code = ErrorCode::too_large; break;
                case SQLITE_MISMATCH:
                case SQLITE_RANGE: code = ErrorCode::invalid_value; break;
                case SQLITE_CANTOPEN:
                case SQLITE_NOTADB: code = ErrorCode::connection; break;
                case SQLITE_CONSTRAINT: code = ErrorCode::check_violation; break;
                default: break;
            }
    }
    return DbError(code, std::move(diag));
}

// joins_group: whether an autocommit statement may run inside another writer's group
// transaction: one that writes rows (INSERT, UPDATE, DELETE, REPLACE, or WITH before one), which
// SQLite runs inside a transaction exactly as alone. Any other statement that writes (BEGIN
// IMMEDIATE, DDL, PRAGMA, VACUUM, ATTACH) takes the turn for itself.
bool joins_group(sqlite3_stmt* stmt, std::string_view text) {
    if (sqlite3_stmt_readonly(stmt)) return false;
    std::size_t i = 0;
    while (i < text.size()) {  // leading blanks and comments (the literal check balanced them)
        if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == '\f') {
            ++i;
        } else if (text.substr(i, 2) == "--") {
            const auto end = text.find('\n', i);
            i = end == std::string_view::npos ? text.size() : end + 1;
        } else if (text.substr(i, 2) == "/*") {
            const auto end = text.find("*/", i + 2);
            i = end == std::string_view::npos ? text.size() : end + 2;
        } else {
            break;
        }
    }
    std::size_t end = i;
    while (end < text.size() && ((text[end] | 0x20) >= 'a' && (text[end] | 0x20) <= 'z')) ++end;
    const auto word = text.substr(i, end - i);
    for (std::string_view kw : {"insert", "update", "delete", "replace", "with"}) {
        if (word.size() != kw.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < kw.size(); ++k) same = same && (word[k] | 0x20) == kw[k];
        if (same) return true;
    }
    return false;
}

class SqliteConnection final : public Connection {
public:
    SqliteConnection(sqlite3* db, const Options& options, WriterGate* gate) : db_(db), options_(options), gate_(gate) {
        sqlite3_progress_handler(db_, 4000, &SqliteConnection::on_progress, this);
        group_.reserve(WriterGate::kMaxGroupWrites);  // take_followers fills it under the gate's mutex
    }
    ~SqliteConnection() override {
        leave_gate();
        cache_.clear(finalize);
        sqlite3_close_v2(db_);
    }

    Result<std::int64_t, DbError> execute(Sql sql, std::span<const Param> params) override {
        if (gate_ != nullptr && sqlite3_get_autocommit(db_) != 0) {
            auto cached = prepare(sql);
            if (!cached) return cached.error();
            if ((*cached)->joins_group) return execute_grouped(sql, params);
        }
        Cached* stmt = prepare_and_bind(sql, params);
        if (stmt == nullptr) return std::move(error_);
        start_deadline();
        int rc;
        while ((rc = sqlite3_step(stmt->stmt)) == SQLITE_ROW) {
        }
        Result<std::int64_t, DbError> out = rc == SQLITE_DONE ? Result<std::int64_t, DbError>(sqlite3_changes64(db_))
                                                              : Result<std::int64_t, DbError>(sqlite_error(db_, rc));
        finish(stmt->stmt);
        return out;
    }

    Result<void, DbError> query(Sql sql, std::span<const Param> params, std::size_t max_rows,
                                std::vector<Row>& rows) override {
        Cached* stmt = prepare_and_bind(sql, params);
        if (stmt == nullptr) return std::move(error_);
        sqlite3_stmt* s = stmt->stmt;
        start_deadline();
        const int ncol = sqlite3_column_count(s);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (rows.size() >= max_rows) {
                finish(s);
                return DbError(ErrorCode::too_large, "more rows than kMaxRows");
            }
            std::vector<Value> values(static_cast<std::size_t>(ncol));
            for (int c = 0; c < ncol; ++c) {
                if (!read_column_into(s, c, values[static_cast<std::size_t>(c)])) {
                    finish(s);
                    return out_of_memory();
                }
            }
            rows.emplace_back(stmt->names, std::move(values));
        }
        if (rc != SQLITE_DONE) {
            auto err = sqlite_error(db_, rc);
            finish(s);
            return err;
        }
        finish(s);
        return {};
    }

    Result<bool, DbError> query_one(const Sql& sql, std::span<const Param> params, Row& row, bool first_of_many) override {
        Cached* stmt = prepare_and_bind(sql, params);
        if (stmt == nullptr) return std::move(error_);
        sqlite3_stmt* s = stmt->stmt;
        start_deadline();
        int rc = sqlite3_step(s);
        const bool found = rc == SQLITE_ROW;
        if (found) {
            const int ncol = sqlite3_column_count(s);
            auto& values = RowAccess::values(row);  // the thread's kept row: overwritten in place
            if (values.size() != static_cast<std::size_t>(ncol)) values.resize(static_cast<std::size_t>(ncol));
            Value* slots = values.data();
            for (int c = 0; c < ncol; ++c) {
                if (!read_column_into(s, c, slots[c])) {
                    finish(s);
                    return out_of_memory();
                }
            }
            RowAccess::set_names(row, stmt->names);
            // One more step tells one row from several; whatever follows a second row is not read.
            rc = first_of_many ? SQLITE_DONE : sqlite3_step(s);
            if (rc == SQLITE_ROW) {
                finish(s);
                return DbError(ErrorCode::multiple_rows, "more than one row");
            }
        }
        if (rc != SQLITE_DONE) {
            auto err = sqlite_error(db_, rc);
            finish(s);
            return err;
        }
        // A lookup by numbers alone leaves no pointer into the caller's memory bound (the next
        // call binds every placeholder again), so the bindings need no clearing.
        if (binds_pointers_) finish(s);
        else finish_no_clear(s);
        return found;
    }


    Result<void, DbError> script(std::string_view trusted_sql) override {
        std::string text(trusted_sql);  // sqlite3_exec needs NUL termination
        char* message = nullptr;
        // Trusted scripts (migrations) may rightly run longer than a request's statement.
        deadline_ = CoarseClock::time_point::max();
        // Outside a transaction a script may write: it takes the writers' turn like a statement.
        if (sqlite3_get_autocommit(db_) != 0 && !enter_gate()) return gate_timeout();
        const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
        leave_gate_after_transaction();
        sqlite3_free(message);
        if (rc != SQLITE_OK) return sqlite_error(db_, rc);
        return {};
    }

    bool broken() const override { return false; }
    Result<void, DbError> check_health() override { return {}; }
    bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }
    bool clean() const override { return sqlite3_get_autocommit(db_) != 0; }  // never broken

    Result<void, DbError> configure() {
        // PRAGMAs take no parameters; these texts are fixed.
        const char* sync = options_.durability == Durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
        for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", sync}) {
            const int rc = sqlite3_exec(db_, pragma, nullptr, nullptr, nullptr);
            if (rc != SQLITE_OK) return sqlite_error(db_, rc);
        }
        const auto ms = std::min<std::int64_t>(options_.busy_timeout.count(), INT_MAX);
        sqlite3_busy_timeout(db_, static_cast<int>(ms));
        // SQLite's auto-checkpoint (1000 pages) runs inside the committing statement, so within
        // the writer's turn: no other writer of this Database appends meanwhile, the checkpoint
        // completes, and the next writer starts the WAL over. (Run after the turn, it raced the
        // next writers, never completed, and the WAL grew without bound, a checkpoint per commit.)
        return {};
    }

private:
    struct Cached {
        sqlite3_stmt* stmt = nullptr;
        ColumnNames names;
        bool joins_group = false;  // joins_group(): an autocommit execute() may share a commit
    };

    static int on_progress(void* self) {
        auto* c = static_cast<SqliteConnection*>(self);
        return CoarseClock::now() > c->deadline_ ? 1 : 0;
    }
    void start_deadline() { deadline_ = CoarseClock::now() + options_.statement_timeout; }

    // finish ends every statement prepare_and_bind returned, and with it the writer's turn once no
    // transaction is left open.
    void finish(sqlite3_stmt* s) {
        sqlite3_reset(s);  // an autocommit write commits by here
        sqlite3_clear_bindings(s);  // drop the SQLITE_STATIC views of the caller's arguments
        leave_gate_after_transaction();
    }
    void finish_no_clear(sqlite3_stmt* s) {
        sqlite3_reset(s);
        leave_gate_after_transaction();
    }

    // The writers' turn (engine.hpp, WriterGate): a statement that may write, run outside a
    // transaction, queues for it first. That is an autocommit write, and BEGIN IMMEDIATE (not
    // read-only: it takes the write lock), whose turn then lasts while the transaction is open:
    // its statements run in the turn, and COMMIT or ROLLBACK (read-only statements) end it.
    // Reads queue for nothing. A bare BEGIN (deferred) takes no turn; its writes meet other
    // writers in SQLite's busy handler, as before.
    bool enter_gate() {
        if (gate_ == nullptr || !gate_->enter(options_.busy_timeout)) return false;
        gated_ = true;
        return true;
    }
    void leave_gate() noexcept {
        if (!gated_) return;
        gated_ = false;
        gate_->leave();
    }
    void leave_gate_after_transaction() noexcept {
        if (gated_ && sqlite3_get_autocommit(db_) != 0) leave_gate();
    }
    static DbError gate_timeout() {
        return DbError(ErrorCode::busy, "sqlite: the writers queued ahead held the write lock past busy_timeout");
    }

    static void finalize(Cached& c) { sqlite3_finalize(c.stmt); }

    // prepare: the cached statement for `sql`, prepared on its first use. The statement used
    // last is looked up inline (a request runs one query again and again).
    Result<Cached*, DbError> prepare(Sql sql) {
        if (auto* hit = cache_.find_last(sql.text())) return &hit->value;
        return prepare_new(sql);
    }

    [[gnu::noinline]] Result<Cached*, DbError> prepare_new(Sql sql) {
        if (auto* hit = cache_.find(sql.text(), finalize)) return &hit->value;
        if (cache_.size() >= options_.statement_cache_size) cache_.clear(finalize);
        sqlite3_stmt* stmt = nullptr;
        const char* tail = nullptr;
        const auto text = sql.text();
        if (text.size() > INT_MAX) return DbError(ErrorCode::too_large, "statement too long");
        const int rc = sqlite3_prepare_v3(db_, text.data(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT,
                                          &stmt, &tail);
        if (rc != SQLITE_OK) {
            auto err = sqlite_error(db_, rc);
            if (err.code() == ErrorCode::internal) err = DbError(ErrorCode::invalid_statement, err.diagnostic_for_log());
            return err;
        }
        if (stmt == nullptr) return DbError(ErrorCode::invalid_statement, "empty statement");
        // Named parameters (:x, @x) are invisible to the literal check; refuse them here.
        if (static_cast<std::size_t>(sqlite3_bind_parameter_count(stmt)) != sql.placeholder_count()) {
            sqlite3_finalize(stmt);
            return DbError(ErrorCode::bind_mismatch, "statement uses named parameters; use ?");
        }
        auto names = std::make_shared<std::vector<std::string>>();
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
            const char* n = sqlite3_column_name(stmt, c);
            names->emplace_back(n ? n : "");
        }
        const bool group = joins_group(stmt, text);
        return &cache_.insert(text, Cached{stmt, std::move(names), group})->value;
    }

    // prepare_and_bind: the statement with `params` bound, in the writers' turn if it writes; or
    // nullptr and the error in error_ (the statement reset; no DbError is built on success). Every
    // statement it returns ends with finish().
    [[gnu::always_inline]] Cached* prepare_and_bind(Sql sql, std::span<const Param> params) {
        Cached* cached;
        if (auto* hit = cache_.find_last(sql.text())) {
            cached = &hit->value;
        } else if (auto prepared = prepare_new(sql)) {
            cached = *prepared;
        } else {
            error_ = prepared.error();
            return nullptr;
        }
        sqlite3_stmt* s = cached->stmt;
        if (const int rc = bind(s, params); rc != SQLITE_OK) {
            error_ = sqlite_error(db_, rc);
            finish(s);
            return nullptr;
        }
        if (!sqlite3_stmt_readonly(s) && sqlite3_get_autocommit(db_) != 0 && !enter_gate()) {
            finish(s);
            error_ = gate_timeout();
            return nullptr;
        }
        return cached;
    }

    // bind: SQLITE_OK, or the code of the first binding SQLite refused (sqlite_error() reads it).
    int bind(sqlite3_stmt* s, std::span<const Param> params) {
        binds_pointers_ = false;
        for (std::size_t i = 0; i < params.size(); ++i) {
            const Param& p = params[i];
            const int at = static_cast<int>(i + 1);
            int rc = SQLITE_OK;
            switch (p.kind) {
                case Param::Kind::null: rc = sqlite3_bind_null(s, at); break;
                case Param::Kind::integer:
                case Param::Kind::timestamp: rc = sqlite3_bind_int64(s, at, p.integer); break;
                case Param::Kind::real: rc = sqlite3_bind_double(s, at, p.real); break;
                case Param::Kind::text:
                    binds_pointers_ = true;
                    rc = sqlite3_bind_text64(s, at, p.text.data(), p.text.size(), SQLITE_STATIC, SQLITE_UTF8);
                    break;
                case Param::Kind::blob:
                    binds_pointers_ = true;
                    // A zero-length blob with a null pointer would bind NULL; keep it a blob.
                    rc = p.blob.empty() ? sqlite3_bind_zeroblob(s, at, 0)
                                        : sqlite3_bind_blob64(s, at, p.blob.data(), p.blob.size(), SQLITE_STATIC);
                    break;
            }
            if (rc != SQLITE_OK) return rc;
        }
        return SQLITE_OK;
    }

    // --- Group commit (engine.hpp, WriterGate) ---

    // execute_grouped: an autocommit write. It waits in line; the leader runs it (with the writes
    // that joined it) and returns once the COMMIT holding it is durable, or with its own error.
    Result<std::int64_t, DbError> execute_grouped(Sql sql, std::span<const Param> params) {
        WriterGate::GroupWrite write{sql, params};
        switch (gate_->enter_write(write, options_.busy_timeout, group_)) {
            case WriterGate::Turn::timed_out: return gate_timeout();
            case WriterGate::Turn::joined: return std::move(write.result);
            case WriterGate::Turn::lead: break;
        }
        if (group_.size() == 1) write.result = run_write(write);  // alone: a plain autocommit statement
        else run_group();
        gate_->finish_group(group_);  // the followers' frames may go from here on
        group_.clear();
        return std::move(write.result);
    }

    // run_group: group_'s writes in one BEGIN IMMEDIATE ... COMMIT, each in its own savepoint, so
    // a failing write rolls back only itself and keeps its own error. A failure that ends the
    // whole transaction (ON CONFLICT ROLLBACK, RAISE(ROLLBACK), an interrupt, an I/O error) keeps
    // its error and the others run again in a new transaction; each round settles at least one
    // write, so this ends. A failed BEGIN or COMMIT is every affected write's error: none of
    // them is reported written unless its COMMIT succeeded.
    void run_group() {
        pending_.assign(group_.begin(), group_.end());
        while (!pending_.empty()) {
            if (auto begun = control("BEGIN IMMEDIATE"); !begun) {
                for (auto* w : pending_) w->result = begun.error();
                return;
            }
            ran_.clear();
            bool rolled_back = false;
            for (std::size_t i = 0; i < pending_.size() && !rolled_back; ++i) {
                WriterGate::GroupWrite* w = pending_[i];
                w->result = run_in_savepoint(*w);
                if (w->result) {
                    ran_.push_back(w);
                } else if (sqlite3_get_autocommit(db_) != 0) {
                    ran_.insert(ran_.end(), pending_.begin() + static_cast<std::ptrdiff_t>(i) + 1, pending_.end());
                    rolled_back = true;
                }
            }
            if (rolled_back) {
                pending_.swap(ran_);
                continue;
            }
            if (auto committed = control("COMMIT"); !committed) {
                end_transaction();
                for (auto* w : ran_) w->result = committed.error();
            }
            return;
        }
    }

    Result<std::int64_t, DbError> run_in_savepoint(const WriterGate::GroupWrite& w) {
        if (auto r = control("SAVEPOINT bulwark_group"); !r) {
            end_transaction();
            return r.error();
        }
        auto out = run_write(w);
        if (out) {
            if (auto r = control("RELEASE bulwark_group"); !r) {
                end_transaction();
                return r.error();
            }
        } else if (sqlite3_get_autocommit(db_) == 0 &&
                   !(control("ROLLBACK TO bulwark_group") && control("RELEASE bulwark_group"))) {
            end_transaction();
        }
        return out;
    }

    // run_write: one write on this connection, inside the turn this thread holds.
    Result<std::int64_t, DbError> run_write(const WriterGate::GroupWrite& w) {
        auto cached = prepare(w.sql);
        if (!cached) return cached.error();
        sqlite3_stmt* s = (*cached)->stmt;
        Result<std::int64_t, DbError> out = std::int64_t{0};
        if (const int bound = bind(s, w.params); bound != SQLITE_OK) {
            out = sqlite_error(db_, bound);
        } else {
            start_deadline();
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            }
            if (rc == SQLITE_DONE) out = sqlite3_changes64(db_);
            else out = sqlite_error(db_, rc);
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);  // the follower's values are about to go
        return out;
    }

    // control: a transaction statement of the group, inside the turn this thread holds.
    Result<void, DbError> control(Sql sql) {
        auto cached = prepare(sql);
        if (!cached) return cached.error();
        sqlite3_stmt* s = (*cached)->stmt;
        start_deadline();
        const int rc = sqlite3_step(s);
        Result<void, DbError> out;
        if (rc != SQLITE_DONE) out = sqlite_error(db_, rc);
        sqlite3_reset(s);
        return out;
    }

    void end_transaction() {
        if (sqlite3_get_autocommit(db_) == 0) (void)control("ROLLBACK");
    }

    // read_column_into: column c into `out`, whatever it held before (a kept row's string or
    // buffer is reused); false when SQLite ran out of memory making the value readable.
    // The column is read through its sqlite3_value: one lookup instead of one per call
    // (sqlite3_column_type, _text and _bytes each find the column and check for a failed
    // allocation again). SQLite calls such a value unprotected, safe only without concurrent use of
    // the connection: this one is opened NOMUTEX and used by one thread at a time anyway. A failed
    // allocation leaves the connection's flag set; the sqlite3_reset that follows clears it.
    [[gnu::always_inline]] static bool read_column_into(sqlite3_stmt* s, int c, Value& out) {
        sqlite3_value* v = sqlite3_column_value(s, c);
        switch (sqlite3_value_type(v)) {
            case SQLITE_INTEGER: out.emplace<std::int64_t>(sqlite3_value_int64(v)); break;
            case SQLITE_FLOAT: out.emplace<double>(sqlite3_value_double(v)); break;
            case SQLITE_TEXT: {
                auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));  // before _bytes (SQLite's rule)
                const auto n = static_cast<std::size_t>(sqlite3_value_bytes(v));
                if (p == nullptr && n > 0) return false;
                assign_text(out, p ? p : "", p ? n : 0);
                break;
            }
            case SQLITE_BLOB: {
                auto* p = static_cast<const std::uint8_t*>(sqlite3_value_blob(v));
                const auto n = static_cast<std::size_t>(sqlite3_value_bytes(v));
                if (p == nullptr && n > 0) return false;
                assign_bytes(out, p, p ? n : 0);
                break;
            }
            default: out.emplace<std::monostate>(); break;
        }
        return true;
    }
    static DbError out_of_memory() { return DbError(ErrorCode::internal, "sqlite: out of memory reading a column"); }

    sqlite3* db_;
    Options options_;
    WriterGate* gate_;     // the Database's; outlives this connection
    bool gated_ = false;   // this connection holds the gate for the statement or script under way
    StatementCache<Cached> cache_;
    std::vector<WriterGate::GroupWrite*> group_;    // this leader's group, its own write first
    std::vector<WriterGate::GroupWrite*> pending_;  // run_group: writes still to run
    std::vector<WriterGate::GroupWrite*> ran_;      // run_group: run in the open transaction
    CoarseClock::time_point deadline_ = CoarseClock::time_point::max();
    DbError error_;  // prepare_and_bind's error, moved out by its caller
    bool binds_pointers_ = false;  // bind() bound a text or blob (a view of the caller's memory)
};

}  // namespace

Result<std::unique_ptr<Connection>, DbError> open_sqlite(const std::string& path, const Options& options,
                                                         WriterGate* gate) {
    sqlite3* db = nullptr;
    // NOMUTEX: a connection is used by one thread at a time (the pool guarantees it).
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        DbError err(ErrorCode::connection, std::string("sqlite open: ") + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close_v2(db);
        return err;
    }
    sqlite3_extended_result_codes(db, 1);
    auto conn = std::make_unique<SqliteConnection>(db, options, gate);
    if (auto r = conn->configure(); !r) return r.error();
    return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace bulwark::db::detail
