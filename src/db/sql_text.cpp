// sql_text.cpp: the PostgreSQL placeholder rewrite and the database URL parser.
#include <bulwark/db.hpp>

namespace bulwark::db::detail {

void sql_literal_is_invalid(const char* /*reason*/) {}

std::optional<std::string> rewrite_placeholders(std::string_view sql) {
    std::vector<std::size_t> positions;
    auto scan = scan_sql(sql, [&](std::size_t at) { positions.push_back(at); });
    if (scan.error != nullptr) return std::nullopt;
    std::string out;
    out.reserve(sql.size() + positions.size() * 3);
    std::size_t from = 0;
    for (std::size_t k = 0; k < positions.size(); ++k) {
        out.append(sql.substr(from, positions[k] - from));
        out.push_back('$');
        out.append(std::to_string(k + 1));
        from = positions[k] + 1;
    }
    out.append(sql.substr(from));
    return out;
}

// parse_url accepts exactly: sqlite::memory:, sqlite:///<absolute path> (no query, no
// fragment: SQLite URI parameters could turn off safety settings), and postgresql:// or
// postgres:// URLs, which go to libpq unchanged (libpq parses host, sslmode, ...).
Result<ParsedUrl, DbError> parse_url(std::string_view url) {
    if (url.empty() || url.size() > kMaxUrl) return DbError(ErrorCode::invalid_url, "empty or too long");
    for (char c : url)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return DbError(ErrorCode::invalid_url, "control character");
    ParsedUrl out;
    if (url == "sqlite::memory:") {
        out.sqlite_path = ":memory:";
        return out;
    }
    if (url.starts_with("sqlite://")) {
        std::string_view path = url.substr(9);
        if (!path.starts_with('/')) return DbError(ErrorCode::invalid_url, "sqlite path must be absolute (sqlite:///abs/path)");
        if (path.size() < 2 || path.ends_with('/')) return DbError(ErrorCode::invalid_url, "sqlite path names no file");
        if (path.find_first_of("?#") != std::string_view::npos) return DbError(ErrorCode::invalid_url, "sqlite URL takes no parameters");
        out.sqlite_path = std::string(path);
        return out;
    }
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        out.backend = Backend::postgresql;
        out.pg_conninfo = std::string(url);
        return out;
    }
    return DbError(ErrorCode::invalid_url, "unknown scheme (sqlite:// or postgresql://)");
}

}  // namespace bulwark::db::detail
