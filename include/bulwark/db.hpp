// bulwark/db.hpp: the data layer. SQL that cannot be injected, on SQLite (the embedded
// default) and PostgreSQL, with transactions, retries and migrations.
//
// Security model: query text is a compile-time string literal (`Sql` has only a consteval
// constructor), so `db.query(std::string("...'") + name + "'")` does not compile; values
// travel apart from the text (sqlite3_bind_*, PQexecPrepared). One placeholder style, `?`,
// for both backends (rewritten to $1..$n for PostgreSQL once per statement). A dynamic
// identifier (an ORDER BY column) is a choice among literal queries: `choose_sql`.
// Errors carry a fixed, client-safe message; the driver's text (which may quote SQL or
// data) is only in `diagnostic_for_log()`. Migration files are trusted as code and run
// through the loudly named `execute_trusted_script`. See docs/db.md.
//
//     auto db = bulwark::db::Database::open("sqlite:///var/lib/app/app.db");
//     auto user = db->one<User>("SELECT id, name FROM users WHERE name = ?", untrusted_name);
//     if (!user) return log_and_500(user.error().diagnostic_for_log());
//     if (!*user) return not_found();   // no such row
#pragma once

#include <bulwark/result.hpp>

#include <array>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <variant>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace bulwark::db {

using Bytes = std::vector<std::uint8_t>;
using TimePoint = std::chrono::system_clock::time_point;
// Value: a column value as read. Booleans read as integers 0/1; PostgreSQL numeric as text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Bytes>;

// ErrorCode: what went wrong, code by code. `message()` of each is fixed and client-safe.
enum class ErrorCode {
    unique_violation,       // a UNIQUE / PRIMARY KEY constraint (the app answers 409)
    foreign_key_violation,  // a FOREIGN KEY constraint
    not_null_violation,     // a NOT NULL constraint
    check_violation,        // a CHECK constraint
    serialization_failure,  // PostgreSQL 40001 / deadlock 40P01: retry the transaction
    busy,                   // SQLite BUSY/LOCKED after busy_timeout, PostgreSQL lock_not_available
    timeout,                // statement_timeout or acquire_timeout passed
    connection,             // the server cannot be reached or the connection broke
    invalid_statement,      // the database refused the SQL (syntax, unknown table or column)
    bind_mismatch,          // argument count differs from the placeholders
    type_mismatch,          // a column could not be read as the requested type
    invalid_value,          // the database refused a value (bad number, text for a date, ...)
    too_large,              // a value or result over a limit
    multiple_rows,          // one() found more than one row
    invalid_url,            // open(): malformed or unknown URL
    misuse,                 // API misuse (transaction ended out of order, no RETURNING, ...)
    internal,               // anything else (I/O error, corruption, unexpected answer)
};
std::string_view error_code_name(ErrorCode code) noexcept;

// DbError: a code, a client-safe message, and the driver's own text for the server log only.
class DbError {
public:
    DbError() = default;
    DbError(ErrorCode code, std::string diagnostic = {}) : code_(code), diagnostic_(std::move(diagnostic)) {}  // NOLINT
    ErrorCode code() const noexcept { return code_; }
    // message: fixed text per code; never SQL, never data, never a driver message.
    std::string_view message() const noexcept;
    // diagnostic_for_log: the driver's message; may quote SQL or values, so it goes to the
    // server log and never into a response.
    const std::string& diagnostic_for_log() const noexcept { return diagnostic_; }
    // retryable: serialization_failure or busy; a fresh attempt of the transaction may succeed.
    bool retryable() const noexcept { return code_ == ErrorCode::serialization_failure || code_ == ErrorCode::busy; }
    bool operator==(ErrorCode code) const noexcept { return code_ == code; }

private:
    ErrorCode code_ = ErrorCode::internal;
    std::string diagnostic_;
};

// Backend: which engine a Database talks to.
enum class Backend { sqlite, postgresql };

namespace detail {

// SqlScan: what scan_sql found; error is a fixed reason or nullptr.
struct SqlScan {
    std::size_t placeholders = 0;
    const char* error = nullptr;
};
constexpr bool is_ident_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// scan_sql lexes SQL just enough to find `?` outside quotes and comments. It calls
// on_placeholder(offset) for each, and refuses what the two backends read differently:
// `$` (PostgreSQL placeholders and dollar quoting, SQLite parameters), `?NNN`, nested
// comments, and a second statement. Quotes: '..' ('' and E'\'' escapes), "..", `..`.
template <class F>
constexpr SqlScan scan_sql(std::string_view s, F&& on_placeholder) {
    SqlScan out;
    bool ended = false;  // after a ';' only blanks and comments may follow
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        const char next = i + 1 < s.size() ? s[i + 1] : '\0';
        if (c == '-' && next == '-') {
            while (i < s.size() && s[i] != '\n') ++i;
            continue;
        }
        if (c == '/' && next == '*') {
            i += 2;
            for (;; ++i) {
                if (i + 1 >= s.size()) return {0, "unterminated comment"};
                if (s[i] == '/' && s[i + 1] == '*') return {0, "nested comments are read differently by the backends"};
                if (s[i] == '*' && s[i + 1] == '/') break;
            }
            i += 2;
            continue;
        }
        if (is_space(c)) { ++i; continue; }
        if (ended) return {0, "one statement per query"};
        if (c == '\0') return {0, "NUL character in SQL"};
        if (c == '\'' || c == '"' || c == '`') {
            const bool backslash = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                                   (i < 2 || !is_ident_char(s[i - 2]));
            for (++i;; ++i) {
                if (i >= s.size()) return {0, "unterminated quote"};
                if (backslash && s[i] == '\\') { ++i; continue; }
                if (s[i] == c) {
                    if (i + 1 < s.size() && s[i + 1] == c) { ++i; continue; }
                    break;
                }
            }
            ++i;
            continue;
        }
        if (c == '?') {
            if (next >= '0' && next <= '9') return {0, "numbered placeholders are not supported; use ?"};
            on_placeholder(i);
            ++out.placeholders;
        } else if (c == '$') {
            return {0, "use ? placeholders; $ is not allowed outside quotes"};
        } else if (c == ';') {
            ended = true;
        }
        ++i;
    }
    return out;
}

// sql_literal_is_invalid is deliberately not constexpr: reaching it in the consteval
// constructor stops compilation, and the compiler's note names the reason string.
void sql_literal_is_invalid(const char* reason);

// Param: one bound argument, a view that lives for the call.
struct Param {
    enum class Kind : std::uint8_t { null, integer, real, text, blob, timestamp };
    Kind kind = Kind::null;
    std::int64_t integer = 0;  // integer, bool (0/1), timestamp (microseconds since the epoch)
    double real = 0;
    std::string_view text;
    std::span<const std::uint8_t> blob;
};

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_tuple : std::false_type {};
template <class... T> struct is_tuple<std::tuple<T...>> : std::true_type {};

std::int64_t to_micros(TimePoint t) noexcept;

template <class T>
Param to_param(const T& v) {
    using P = Param::Kind;
    if constexpr (std::is_same_v<T, std::nullptr_t> || std::is_same_v<T, std::nullopt_t>) {
        return {};
    } else if constexpr (std::is_same_v<T, bool>) {
        return {P::integer, v ? 1 : 0, 0, {}, {}};
    } else if constexpr (std::is_integral_v<T>) {
        static_assert(std::is_signed_v<T> || sizeof(T) < 8, "bind std::int64_t: an unsigned 64-bit value may not fit");
        static_assert(!std::is_same_v<T, char>, "bind a char as std::string_view(&c, 1)");
        return {P::integer, static_cast<std::int64_t>(v), 0, {}, {}};
    } else if constexpr (std::is_floating_point_v<T>) {
        return {P::real, 0, static_cast<double>(v), {}, {}};
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        return {P::text, 0, 0, std::string_view(v), {}};
    } else if constexpr (std::is_convertible_v<const T&, std::span<const std::uint8_t>>) {
        return {P::blob, 0, 0, {}, std::span<const std::uint8_t>(v)};
    } else if constexpr (std::is_same_v<T, TimePoint>) {
        return {P::timestamp, to_micros(v), 0, {}, {}};
    } else if constexpr (is_optional<T>::value) {
        return v ? to_param(*v) : Param{};
    } else {
        static_assert(sizeof(T) == 0, "db: unsupported argument type");
    }
}

Result<std::int64_t, DbError> value_to_int64(const Value& v);
Result<double, DbError> value_to_double(const Value& v);
Result<std::string_view, DbError> value_to_text(const Value& v);
Result<Bytes, DbError> value_to_bytes(const Value& v);
Result<TimePoint, DbError> value_to_time(const Value& v);

// Convert<T>::from reads a Value as T (Row::get).
template <class T>
struct Convert {
    static Result<T, DbError> from(const Value& v) {
        if (std::holds_alternative<std::monostate>(v)) return DbError(ErrorCode::type_mismatch, "NULL read as non-optional");
        if constexpr (std::is_same_v<T, bool>) {
            auto i = value_to_int64(v);
            if (!i) return i.error();
            return *i != 0;
        } else if constexpr (std::is_integral_v<T>) {
            // The column's own type answers inline; the conversions (text to number) are out of line.
            const auto* direct = std::get_if<std::int64_t>(&v);
            auto i = direct ? Result<std::int64_t, DbError>(*direct) : value_to_int64(v);
            if (!i) return i.error();
            if (!std::in_range<T>(*i)) return DbError(ErrorCode::type_mismatch, "integer out of range");
            return static_cast<T>(*i);
        } else if constexpr (std::is_floating_point_v<T>) {
            auto d = value_to_double(v);
            if (!d) return d.error();
            return static_cast<T>(*d);
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
            if (const auto* s = std::get_if<std::string>(&v)) return T(*s);
            auto t = value_to_text(v);  // the error
            if (!t) return t.error();
            return T(*t);
        } else if constexpr (std::is_same_v<T, Bytes>) {
            return value_to_bytes(v);
        } else if constexpr (std::is_same_v<T, TimePoint>) {
            return value_to_time(v);
        } else {
            static_assert(sizeof(T) == 0, "db: unsupported column type");
        }
    }
};
template <class T>
struct Convert<std::optional<T>> {
    static Result<std::optional<T>, DbError> from(const Value& v) {
        if (std::holds_alternative<std::monostate>(v)) return std::optional<T>{};
        auto r = Convert<T>::from(v);
        if (!r) return r.error();
        return std::optional<T>{std::move(*r)};
    }
};

class Engine;
struct RowAccess;  // lets the backends fill a Row in place (src/db/engine.hpp)

// rewrite_placeholders turns each `?` outside quotes and comments into $1..$n (PostgreSQL).
// Input that scan_sql refuses gives nullopt. Runs once per statement per connection.
std::optional<std::string> rewrite_placeholders(std::string_view sql);

// ParsedUrl: what open() understood of a URL (the fuzz target and tests use it).
struct ParsedUrl {
    Backend backend = Backend::sqlite;
    std::string sqlite_path;  // ":memory:" or an absolute path
    std::string pg_conninfo;  // the URL as given, for libpq
};
inline constexpr std::size_t kMaxUrl = 4096;
Result<ParsedUrl, DbError> parse_url(std::string_view url);

}  // namespace detail


// Sql: the text of one statement. Constructible only at compile time from a literal; the
// literal is checked (balanced quotes and comments, one statement, `?` placeholders only,
// no `$`), and its placeholders counted. Trivially copyable; the text has static storage.
class Sql {
public:
    template <std::size_t N>
    consteval Sql(const char (&text)[N]) : text_(text, N - 1) {  // NOLINT: implicit by design
        auto scan = detail::scan_sql(text_, [](std::size_t) {});
        if (scan.error != nullptr) detail::sql_literal_is_invalid(scan.error);
        placeholders_ = scan.placeholders;
    }
    constexpr std::string_view text() const noexcept { return text_; }
    constexpr std::size_t placeholder_count() const noexcept { return placeholders_; }

private:
    std::string_view text_;
    std::size_t placeholders_ = 0;
};

// SqlChoice: one allowlisted key and the literal query it selects.
struct SqlChoice {
    std::string_view key;
    Sql sql;
};

// choose_sql picks the query whose key equals `untrusted_key` (exact match), or nothing.
// This is the only way a runtime value decides SQL text: every candidate is a literal.
//     auto q = db::choose_sql(untrusted_sort, {{"name", "SELECT ... ORDER BY name"},
//                                              {"created", "SELECT ... ORDER BY created_at"}});
std::optional<Sql> choose_sql(std::string_view untrusted_key, std::initializer_list<SqlChoice> allowlist);

// Durability: SQLite's `synchronous` setting. `full` (default) fsyncs the WAL at every
// commit, so a commit survives power loss; `normal` may lose the last commits on power loss
// (never on a process crash) and is about twice as fast for small writes.
enum class Durability { full, normal };

// Isolation: the isolation level of a transaction (PostgreSQL; SQLite is always serializable).
enum class Isolation { read_committed, repeatable_read, serializable };

// Options: pool and session settings. The defaults are the safe choice.
struct Options {
    std::size_t max_connections = 8;                      // SQLite ":memory:" always uses 1
    std::chrono::milliseconds acquire_timeout{5000};      // waiting for a free connection
    std::chrono::milliseconds statement_timeout{5000};    // PostgreSQL statement_timeout; SQLite via progress handler
    std::chrono::milliseconds busy_timeout{5000};         // SQLite busy_timeout
    std::chrono::milliseconds health_check_after_idle{10000};  // ping an idle PostgreSQL connection before reuse
    Durability durability = Durability::full;
    std::size_t statement_cache_size = 256;               // prepared statements kept per connection
};

// Row: one result row. Values are converted on access: `get<T>(i)` / `get<T>("name")` with T
// one of std::int64_t (or another integer type, range-checked), double, bool, std::string,
// std::string_view (into the row), Bytes, TimePoint, or std::optional of those (NULL ->
// nullopt). A NULL read as a non-optional, a missing column or a wrong type gives T{} and
// marks the row failed; Database's mapping calls then return ErrorCode::type_mismatch, so a
// `from_row` needs no error handling. `try_get` returns the error instead.
class Row {
public:
    Row(std::shared_ptr<const std::vector<std::string>> names, std::vector<Value> values)
        : names_(std::move(names)), values_(std::move(values)) {}

    std::size_t size() const noexcept { return values_.size(); }
    std::string_view column_name(std::size_t index) const;
    std::optional<std::size_t> column_index(std::string_view name) const noexcept;
    bool is_null(std::size_t index) const noexcept;
    const Value& raw(std::size_t index) const;  // index < size()

    template <class T>
    Result<T, DbError> try_get(std::size_t index) const {
        if (index >= values_.size()) return DbError(ErrorCode::type_mismatch, "column index out of range");
        return detail::Convert<T>::from(values_[index]);
    }
    template <class T>
    Result<T, DbError> try_get(std::string_view column) const {
        auto index = column_index(column);
        if (!index) return DbError(ErrorCode::type_mismatch, "no such column");
        return try_get<T>(*index);
    }
    template <class T, class Key>
    T get(const Key& key) const {
        auto r = try_get<T>(key);
        if (r) return std::move(*r);
        failed_ = true;
        return T{};
    }
    // failed: some get() on this row could not convert.
    bool failed() const noexcept { return failed_; }

private:
    friend struct detail::RowAccess;  // the backends fill a row in place
    Row() = default;
    std::shared_ptr<const std::vector<std::string>> names_;
    std::vector<Value> values_;
    mutable bool failed_ = false;
};

// map_row turns a row into T: T::from_row(row) when T has it, a std::tuple by position,
// or a single column of a supported scalar type.
template <class T>
T map_row(const Row& row) {
    if constexpr (requires { { T::from_row(row) } -> std::same_as<T>; }) {
        return T::from_row(row);
    } else if constexpr (detail::is_tuple<T>::value) {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return T{row.get<std::tuple_element_t<I, T>>(I)...};
        }(std::make_index_sequence<std::tuple_size_v<T>>{});
    } else {
        return row.get<T>(std::size_t{0});
    }
}

class Transaction;

// Database: a handle on a connection pool. Copies share the pool; thread-safe. Each call
// takes a connection for its duration, except on a thread inside a Transaction of this
// database, where calls join that transaction. Arguments bind to the `?` in order; a count
// that differs from the placeholders is ErrorCode::bind_mismatch.
class Database {
public:
    // open: `sqlite:///abs/path.db`, `sqlite::memory:`, `postgresql://user@host:port/db?sslmode=verify-full`
    // (`postgres://` too). Connects once to fail fast. Errors: invalid_url, connection.
    static Result<Database, DbError> open(std::string_view url, Options options = {});

    Backend backend() const noexcept;

    // execute runs a statement and returns the number of rows it changed.
    template <class... A>
    Result<std::int64_t, DbError> execute(Sql sql, const A&... args) {
        auto params = std::array<detail::Param, sizeof...(A)>{detail::to_param(args)...};
        return run_execute(sql, params);
    }
    // query returns every row (at most kMaxRows; more is ErrorCode::too_large).
    template <class... A>
    Result<std::vector<Row>, DbError> query(Sql sql, const A&... args) {
        auto params = std::array<detail::Param, sizeof...(A)>{detail::to_param(args)...};
        return run_query(sql, params);
    }
    // query_as maps every row with map_row<T>.
    template <class T, class... A>
    Result<std::vector<T>, DbError> query_as(Sql sql, const A&... args) {
        auto rows = query(sql, args...);
        if (!rows) return rows.error();
        std::vector<T> out;
        out.reserve(rows->size());
        for (const Row& row : *rows) {
            out.push_back(map_row<T>(row));
            if (row.failed()) return DbError(ErrorCode::type_mismatch, "row mapping failed");
        }
        return out;
    }
    // one returns the single row mapped to T, nullopt for none; two or more rows is
    // ErrorCode::multiple_rows (an ambiguous lookup is a bug, not a choice).
    template <class T, class... A>
    Result<std::optional<T>, DbError> one(Sql sql, const A&... args) {
        auto params = std::array<detail::Param, sizeof...(A)>{detail::to_param(args)...};
        // Built in place: the row is mapped straight into the result (one return, no moves).
        Result<std::optional<T>, DbError> out{std::optional<T>{}};
        if (auto r = run_query_one(sql, params, &map_one<T>, &*out, false); !r) out = r.error();
        return out;
    }
    // first returns the first row mapped to T, nullopt for none; the rows after it are not looked
    // at. For a query that picks one row on purpose (ORDER BY ... LIMIT 1); where a second row
    // would be a bug, one() says so instead, at the price of one more step on SQLite. On
    // PostgreSQL the server still sends every row: add LIMIT 1.
    template <class T, class... A>
    Result<std::optional<T>, DbError> first(Sql sql, const A&... args) {
        auto params = std::array<detail::Param, sizeof...(A)>{detail::to_param(args)...};
        Result<std::optional<T>, DbError> out{std::optional<T>{}};
        if (auto r = run_query_one(sql, params, &map_one<T>, &*out, true); !r) out = r.error();
        return out;
    }
    // insert_returning_id runs an `INSERT ... RETURNING id` (both backends) and returns the id.
    template <class... A>
    Result<std::int64_t, DbError> insert_returning_id(Sql sql, const A&... args) {
        auto id = one<std::int64_t>(sql, args...);
        if (!id) return id.error();
        if (!*id) return DbError(ErrorCode::misuse, "INSERT returned no row; add RETURNING id");
        return **id;
    }

    // transaction begins a transaction (a SAVEPOINT when this thread is already inside one
    // of this database). SQLite uses BEGIN IMMEDIATE so writers queue on busy_timeout
    // instead of failing on lock upgrade.
    Result<Transaction, DbError> transaction(Isolation isolation = Isolation::read_committed);

    // execute_trusted_script runs SQL text with several statements and no parameters. It is
    // for migration files and schema set-up written by the developer: NEVER pass anything
    // that contains input. Kept out of the query API by its name, so one grep finds each use.
    Result<void, DbError> execute_trusted_script(std::string_view trusted_sql);

    static constexpr std::size_t kMaxRows = 1'000'000;

private:
    explicit Database(std::shared_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}
    Result<std::int64_t, DbError> run_execute(Sql sql, std::span<const detail::Param> params);
    Result<std::vector<Row>, DbError> run_query(Sql sql, std::span<const detail::Param> params);
    Result<void, DbError> run_query_into(Sql sql, std::span<const detail::Param> params, std::vector<Row>& out);
    // RowMapper: maps a row into *out (a std::optional<T>); false when the row did not map.
    using RowMapper = bool (*)(const Row& row, void* out);
    template <class T>
    static bool map_one(const Row& row, void* out) {
        auto& value = *static_cast<std::optional<T>*>(out);
        if constexpr (std::is_same_v<T, std::string>) {
            // The common lookup of one text column: copied straight from the row.
            if (const auto* s = row.size() > 0 ? std::get_if<std::string>(&row.raw(0)) : nullptr) {
                value.emplace(*s);
                return true;
            }
        }
        value.emplace(map_row<T>(row));
        return !row.failed();
    }
    // run_query_one: when the query gives exactly one row, `map` maps it into `out` (after the
    // connection is given back) and the answer is true; no row leaves `out` alone (false); two or
    // more is ErrorCode::multiple_rows, a row that does not map ErrorCode::type_mismatch. With
    // `first_of_many` the first of several rows is mapped instead (first()). The row is one kept
    // per thread, so a point lookup allocates no row.
    Result<bool, DbError> run_query_one(Sql sql, std::span<const detail::Param> params, RowMapper map, void* out,
                                        bool first_of_many);
    std::shared_ptr<detail::Engine> engine_;
};

// Transaction: RAII. Destroyed without commit() (an early return, an exception) it rolls
// back. It belongs to the thread that began it; calls on the Database from that thread run
// inside it. Inner transactions are savepoints and must end before the outer one.
class Transaction {
public:
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();

    Result<void, DbError> commit();
    Result<void, DbError> rollback();
    bool active() const noexcept { return active_; }

private:
    friend class Database;
    Transaction(std::shared_ptr<detail::Engine> engine, std::size_t depth)
        : engine_(std::move(engine)), depth_(depth), active_(true) {}
    Result<void, DbError> finish(bool commit);
    std::shared_ptr<detail::Engine> engine_;
    std::size_t depth_ = 0;
    bool active_ = false;
};

// RetryOptions: how retry() backs off (exponential with full jitter from the CSPRNG).
struct RetryOptions {
    int max_attempts = 5;
    std::chrono::milliseconds first_delay{5};
    std::chrono::milliseconds max_delay{200};
};
namespace detail {
void retry_sleep(const RetryOptions& options, int attempt);
}

// retry runs fn(Transaction&) in a new transaction and commits; when the transaction fails
// with serialization_failure or busy (DbError::retryable) it rolls back and runs it again, up
// to max_attempts. fn returns Result<T, DbError>. Not for use inside another transaction.
template <class F>
auto retry(Database& db, F&& fn, RetryOptions options = {}) -> decltype(fn(std::declval<Transaction&>())) {
    for (int attempt = 1;; ++attempt) {
        auto result = [&]() -> decltype(fn(std::declval<Transaction&>())) {
            auto tx = db.transaction(Isolation::serializable);
            if (!tx) return tx.error();
            auto r = fn(*tx);
            if (!r) return r;
            if (auto c = tx->commit(); !c) return c.error();
            return r;
        }();
        if (result || !result.error().retryable() || attempt >= options.max_attempts) return result;
        detail::retry_sleep(options, attempt);
    }
}

// Migrations: files `NNNN_name.sql` (four digits from 0001, no gaps; name [a-z0-9_]) in one
// directory, applied in order, each in its own transaction together with its row in
// `bulwark_migrations` (number, name, sha256 checksum). A file may not contain BEGIN/COMMIT.
enum class MigrateErrorCode {
    unreadable_directory,  // the directory or a file cannot be read, or a file is over 1 MiB
    bad_file_name,         // a *.sql file not named NNNN_name.sql
    duplicate_number,      // two files with one number
    gap,                   // numbers not 1, 2, 3, ... (in the files or in the history)
    checksum_mismatch,     // an applied file was changed since
    missing_file,          // the history names a migration no file provides (or renamed)
    concurrent,            // another process applied the same migration meanwhile
    failed,                // the database refused a migration (see `database`)
};
std::string_view migrate_error_name(MigrateErrorCode code) noexcept;

struct MigrateError {
    MigrateErrorCode code{};
    int number = 0;            // the migration concerned, 0 when none
    DbError database;          // for `failed` / `concurrent`
};

struct MigrateReport {
    std::vector<std::string> applied;  // "0003_add_comments", in order
    std::size_t already_applied = 0;
};

// migrate brings the database up to the files in `dir`; a differing history stops it
// before anything runs. What `bulwark db upgrade` calls.
Result<MigrateReport, MigrateError> migrate(Database& db, const std::filesystem::path& dir);

}  // namespace bulwark::db
