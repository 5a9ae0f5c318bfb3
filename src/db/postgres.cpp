// postgres.cpp: the PostgreSQL connection (libpq).
//
// Values go apart from the text: each statement is prepared once per connection (PQprepare,
// `?` rewritten to $n) and run with PQexecPrepared; text format both ways except bytea
// parameters, sent binary. Each new connection sets statement_timeout (set_config, itself
// parameterized). sslmode and the rest of the URL are libpq's: `?sslmode=verify-full`.
#include "engine.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <algorithm>

namespace bulwark::db::detail {
namespace {

// A connection keeps its text parameter buffer up to this size between calls.
constexpr std::size_t kKeptTextBuffer = 64 * 1024;

// Type OIDs from pg_type.h (stable across versions).
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kOid = 26, kFloat4 = 700, kFloat8 = 701;

DbError from_sqlstate(const char* state, std::string diag) {
    const std::string_view s = state ? state : "";
    ErrorCode code = ErrorCode::internal;
    if (s == "23505") code = ErrorCode::unique_violation;
    else if (s == "23503") code = ErrorCode::foreign_key_violation;
    else if (s == "23502") code = ErrorCode::not_null_violation;
    else if (s == "23514") code = ErrorCode::check_violation;
    else if (s == "40001" || s == "40P01") code = ErrorCode::serialization_failure;
    else if (s == "55P03") code = ErrorCode::busy;
    else if (s == "57014") code = ErrorCode::timeout;
    else if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03") code = ErrorCode::connection;
    else if (s.starts_with("42")) code = ErrorCode::invalid_statement;
    else if (s.starts_with("22")) code = ErrorCode::invalid_value;
    else if (s.starts_with("54")) code = ErrorCode::too_large;
    return DbError(code, "postgresql " + std::string(s) + ": " + std::move(diag));
}

std::optional<Bytes> decode_bytea_hex(const char* p, std::size_t n) {
    if (n < 2 || p[0] != '\\' || p[1] != 'x' || n % 2 != 0) return std::nullopt;
    Bytes out;
    out.reserve((n - 2) / 2);
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 2; i < n; i += 2) {
        const int hi = nibble(p[i]), lo = nibble(p[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    return out;
}

struct ResultGuard {
    PGresult* r;
    ~ResultGuard() { PQclear(r); }
};

void ignore_notice(void*, const char*) {}

class PgConnection final : public Connection {
public:
    PgConnection(PGconn* conn, const Options& options)
        : conn_(conn), statement_cache_size_(std::max<std::size_t>(1, options.statement_cache_size)) {
        PQsetNoticeProcessor(conn_, &ignore_notice, nullptr);
    }
    ~PgConnection() override { PQfinish(conn_); }

    Result<std::int64_t, DbError> execute(Sql sql, std::span<const Param> params) override {
        Prepared* prepared = nullptr;
        auto res = run(sql, params, &prepared);
        if (!res) return res.error();
        ResultGuard g{*res};
        const char* tuples = PQcmdTuples(*res);
        last_rolled_back_ = std::strcmp(PQcmdStatus(*res), "ROLLBACK") == 0;
        std::int64_t n = 0;
        if (tuples && *tuples) std::from_chars(tuples, tuples + std::strlen(tuples), n);
        return n;
    }

    Result<void, DbError> query(Sql sql, std::span<const Param> params, std::size_t max_rows,
                                std::vector<Row>& rows) override {
        Prepared* prepared = nullptr;
        auto res = run(sql, params, &prepared);
        if (!res) return res.error();
        ResultGuard g{*res};
        const int ntuples = PQntuples(*res), nfields = PQnfields(*res);
        if (static_cast<std::size_t>(ntuples) > max_rows) return DbError(ErrorCode::too_large, "more rows than kMaxRows");
        const ColumnNames& names = column_names(*prepared, *res);
        rows.reserve(static_cast<std::size_t>(ntuples));
        for (int r = 0; r < ntuples; ++r) {
            std::vector<Value> values(static_cast<std::size_t>(nfields));
            if (auto ok = read_row(*res, r, values); !ok) return ok.error();
            rows.emplace_back(names, std::move(values));
        }
        return {};
    }

    Result<bool, DbError> query_one(const Sql& sql, std::span<const Param> params, Row& row, bool first_of_many) override {
        Prepared* prepared = nullptr;
        auto res = run(sql, params, &prepared);
        if (!res) return res.error();
        ResultGuard g{*res};
        const int ntuples = PQntuples(*res);
        if (ntuples == 0) return false;
        if (ntuples > 1 && !first_of_many) return DbError(ErrorCode::multiple_rows, "more than one row");
        auto& values = RowAccess::values(row);  // the thread's kept row: overwritten in place
        values.resize(static_cast<std::size_t>(PQnfields(*res)));
        if (auto ok = read_row(*res, 0, values); !ok) return ok.error();
        RowAccess::set_names(row, column_names(*prepared, *res));
        return true;
    }

    Result<void, DbError> script(std::string_view trusted_sql) override {
        std::string text(trusted_sql);
        PGresult* res = PQexec(conn_, text.c_str());
        ResultGuard g{res};
        const auto status = PQresultStatus(res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) return error_of(res);
        return {};
    }

    bool broken() const override { return PQstatus(conn_) != CONNECTION_OK; }
    bool in_transaction() const override { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }
    bool last_commit_rolled_back() const override { return last_rolled_back_; }

    Result<void, DbError> check_health() override {
        if (PQstatus(conn_) == CONNECTION_OK) {
            PGresult* res = PQexec(conn_, "");  // one round trip, nothing parsed
            ResultGuard g{res};
            if (PQresultStatus(res) == PGRES_EMPTY_QUERY) return {};
        }
        return DbError(ErrorCode::connection, "health check failed");
    }

    Result<void, DbError> configure(const Options& options) {
        const std::string ms = std::to_string(options.statement_timeout.count());
        const char* values[] = {ms.c_str()};
        PGresult* res = PQexecParams(conn_, "SELECT set_config('statement_timeout', $1, false)", 1, nullptr, values,
                                     nullptr, nullptr, 0);
        ResultGuard g{res};
        if (PQresultStatus(res) != PGRES_TUPLES_OK) return error_of(res);
        return {};
    }

private:
    DbError error_of(PGresult* res) const {
        if (res == nullptr || PQstatus(conn_) != CONNECTION_OK)
            return DbError(ErrorCode::connection, std::string("postgresql: ") + PQerrorMessage(conn_));
        return from_sqlstate(PQresultErrorField(res, PG_DIAG_SQLSTATE), PQresultErrorMessage(res));
    }

    // Prepared: a server-side statement of this connection and its result's column names.
    struct Prepared {
        std::string name;
        ColumnNames names;
    };

    static void forget(Prepared&) {}  // a stale entry's statement stays on the server, unused

    Result<Prepared*, DbError> prepare(Sql sql) {
        if (auto* hit = prepared_.find(sql.text(), forget)) return &hit->value;
        if (prepared_.size() >= statement_cache_size_) {
            // Bounded like SQLite's cache; outside a failed transaction this always succeeds.
            PGresult* res = PQexec(conn_, "DEALLOCATE ALL");
            ResultGuard g{res};
            if (PQresultStatus(res) == PGRES_COMMAND_OK) prepared_.clear(forget);
        }
        auto text = rewrite_placeholders(sql.text());
        if (!text) return DbError(ErrorCode::invalid_statement, "statement failed the literal check");
        std::string name = "bulwark_" + std::to_string(next_statement_++);
        PGresult* res = PQprepare(conn_, name.c_str(), text->c_str(), static_cast<int>(sql.placeholder_count()), nullptr);
        ResultGuard g{res};
        if (PQresultStatus(res) != PGRES_COMMAND_OK) return error_of(res);
        return &prepared_.insert(sql.text(), Prepared{std::move(name), nullptr})->value;
    }

    Result<PGresult*, DbError> run(Sql sql, std::span<const Param> params, Prepared** prepared) {
        auto statement = prepare(sql);
        if (!statement) return statement.error();
        *prepared = *statement;
        const std::size_t n = params.size();
        if (values_.size() < n) {
            values_.resize(n);
            lengths_.resize(n);
            formats_.resize(n);
            scratch_.resize(n);
        }
        // libpq reads text parameters up to a NUL: they are copied, NUL-terminated, into one
        // buffer kept by the connection, reserved up front so the pointers into it stay valid.
        std::size_t text_bytes = 0;
        for (const Param& p : params)
            if (p.kind == Param::Kind::text) text_bytes += p.text.size() + 1;
        text_buffer_.clear();
        text_buffer_.reserve(text_bytes);
        for (std::size_t i = 0; i < n; ++i) {
            const Param& p = params[i];
            formats_[i] = 0;
            lengths_[i] = 0;
            switch (p.kind) {
                case Param::Kind::null: values_[i] = nullptr; break;
                case Param::Kind::integer: {
                    auto r = std::to_chars(scratch_[i].data(), scratch_[i].data() + scratch_[i].size() - 1, p.integer);
                    *r.ptr = '\0';
                    values_[i] = scratch_[i].data();
                    break;
                }
                case Param::Kind::real: {
                    // Shortest text that reads back as the same double.
                    auto r = std::to_chars(scratch_[i].data(), scratch_[i].data() + scratch_[i].size() - 1, p.real);
                    *r.ptr = '\0';
                    values_[i] = scratch_[i].data();
                    break;
                }
                case Param::Kind::timestamp: {
                    const std::string t = format_time_utc(p.integer);
                    std::memcpy(scratch_[i].data(), t.c_str(), std::min(t.size() + 1, scratch_[i].size()));
                    values_[i] = scratch_[i].data();
                    break;
                }
                case Param::Kind::text:
                    if (p.text.find('\0') != std::string_view::npos)
                        return DbError(ErrorCode::invalid_value, "NUL character in text parameter");
                    values_[i] = text_buffer_.data() + text_buffer_.size();
                    text_buffer_.append(p.text);
                    text_buffer_.push_back('\0');
                    break;
                case Param::Kind::blob:
                    if (p.blob.size() > static_cast<std::size_t>(INT32_MAX)) return DbError(ErrorCode::too_large, "blob too large");
                    // An empty blob must not be a null pointer: libpq reads that as NULL.
                    values_[i] = p.blob.empty() ? "" : reinterpret_cast<const char*>(p.blob.data());
                    lengths_[i] = static_cast<int>(p.blob.size());
                    formats_[i] = 1;
                    break;
            }
        }
        PGresult* res = PQexecPrepared(conn_, (*statement)->name.c_str(), static_cast<int>(n), values_.data(),
                                       lengths_.data(), formats_.data(), 0);
        if (text_buffer_.capacity() > kKeptTextBuffer) std::string().swap(text_buffer_);  // one big value: let it go
        const auto status = PQresultStatus(res);
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return res;
        auto err = error_of(res);
        PQclear(res);
        return err;
    }

    // column_names: the statement's column names, read from the first result that has them.
    static const ColumnNames& column_names(Prepared& prepared, const PGresult* res) {
        const int nfields = PQnfields(res);
        auto& names = prepared.names;
        if (!names || names->size() != static_cast<std::size_t>(nfields)) {
            auto fresh = std::make_shared<std::vector<std::string>>();
            for (int c = 0; c < nfields; ++c) fresh->emplace_back(PQfname(res, c));
            names = std::move(fresh);
        }
        return names;
    }

    // read_row: row r of `res` into `values`, whatever they held before (a kept row's strings are
    // reused).
    static Result<void, DbError> read_row(const PGresult* res, int r, std::vector<Value>& values) {
        for (int c = 0; c < static_cast<int>(values.size()); ++c) {
            Value& out = values[static_cast<std::size_t>(c)];
            if (PQgetisnull(res, r, c)) {
                out.emplace<std::monostate>();
                continue;
            }
            const char* p = PQgetvalue(res, r, c);
            const auto n = static_cast<std::size_t>(PQgetlength(res, r, c));
            if (!read_value(PQftype(res, c), p, n, out)) return DbError(ErrorCode::internal, "bad value from server");
        }
        return {};
    }

    // read_value: false for an integer or bytea the server should never send.
    static bool read_value(Oid type, const char* p, std::size_t n, Value& out) {
        switch (type) {
            case kBool: out.emplace<std::int64_t>(n > 0 && p[0] == 't'); return true;
            case kInt2:
            case kInt4:
            case kInt8:
            case kOid: {
                std::int64_t v = 0;
                auto r = std::from_chars(p, p + n, v);
                if (r.ec != std::errc() || r.ptr != p + n) return false;
                out.emplace<std::int64_t>(v);
                return true;
            }
            case kFloat4:
            case kFloat8: {
                double v = 0;
                auto r = std::from_chars(p, p + n, v);
                if (r.ec != std::errc() || r.ptr != p + n) assign_text(out, p, n);  // NaN, Infinity
                else out.emplace<double>(v);
                return true;
            }
            case kBytea: {
                auto b = decode_bytea_hex(p, n);
                if (!b) return false;
                out.emplace<Bytes>(std::move(*b));
                return true;
            }
            default: assign_text(out, p, n); return true;
        }
    }

    PGconn* conn_;
    std::size_t statement_cache_size_;
    StatementCache<Prepared> prepared_;
    std::size_t next_statement_ = 0;
    // Reused by every call, so a call allocates nothing once they have grown.
    std::vector<const char*> values_;
    std::vector<int> lengths_, formats_;
    std::vector<std::array<char, 48>> scratch_;
    std::string text_buffer_;
    bool last_rolled_back_ = false;
};

}  // namespace

Result<std::unique_ptr<Connection>, DbError> open_postgresql(const std::string& conninfo, const Options& options) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (conn == nullptr) return DbError(ErrorCode::connection, "postgresql: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        // libpq's connect errors name host and port, never the password.
        DbError err(ErrorCode::connection, std::string("postgresql connect: ") + PQerrorMessage(conn));
        PQfinish(conn);
        return err;
    }
    auto c = std::make_unique<PgConnection>(conn, options);
    if (auto r = c->configure(options); !r) return r.error();
    return std::unique_ptr<Connection>(std::move(c));
}

}  // namespace bulwark::db::detail
