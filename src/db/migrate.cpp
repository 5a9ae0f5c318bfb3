// migrate.cpp: numbered SQL files applied in order, each in a transaction with its record.
//
// Before anything runs, the recorded history must be a prefix of the files: same numbers,
// names and SHA-256 checksums, no gaps. A changed or missing file stops the upgrade, since
// the schema would no longer be what the files say it is.
#include "engine.hpp"

#include <bulwark/crypto.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace bulwark::db {
namespace {

constexpr std::uintmax_t kMaxMigrationFile = 1 << 20;

struct MigrationFile {
    int number = 0;
    std::string name;  // "0001_create_users"
    std::string text;
    std::string checksum;
};

MigrateError fail(MigrateErrorCode code, int number = 0, DbError db = {}) {
    return MigrateError{code, number, std::move(db)};
}

// parse_name reads NNNN_name.sql; name is [a-z0-9_]+.
std::optional<int> parse_name(const std::string& file) {
    if (file.size() < 10 || !file.ends_with(".sql") || file[4] != '_') return std::nullopt;
    int number = 0;
    for (int i = 0; i < 4; ++i) {
        if (file[i] < '0' || file[i] > '9') return std::nullopt;
        number = number * 10 + (file[i] - '0');
    }
    for (std::size_t i = 5; i + 4 < file.size(); ++i) {
        const char c = file[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return std::nullopt;
    }
    if (number == 0) return std::nullopt;
    return number;
}

Result<std::vector<MigrationFile>, MigrateError> read_files(const std::filesystem::path& dir) {
    std::error_code ec;
    std::map<int, MigrationFile> by_number;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) return fail(MigrateErrorCode::unreadable_directory);
    for (const auto& entry : it) {
        const std::string file = entry.path().filename().string();
        if (!file.ends_with(".sql")) continue;  // README and the like
        auto number = parse_name(file);
        if (!number) return fail(MigrateErrorCode::bad_file_name);
        if (by_number.contains(*number)) return fail(MigrateErrorCode::duplicate_number, *number);
        if (!entry.is_regular_file(ec) || entry.file_size(ec) > kMaxMigrationFile || ec)
            return fail(MigrateErrorCode::unreadable_directory, *number);
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) return fail(MigrateErrorCode::unreadable_directory, *number);
        MigrationFile m;
        m.number = *number;
        m.name = file.substr(0, file.size() - 4);
        m.text = text.str();
        m.checksum = crypto::hex_encode(crypto::sha256(crypto::as_bytes(m.text)));
        by_number.emplace(*number, std::move(m));
    }
    std::vector<MigrationFile> files;
    int expected = 1;
    for (auto& [number, m] : by_number) {
        if (number != expected) return fail(MigrateErrorCode::gap, expected);
        files.push_back(std::move(m));
        ++expected;
    }
    return files;
}

struct Recorded {
    std::int64_t number;
    std::string name;
    std::string checksum;
};

}  // namespace

Result<MigrateReport, MigrateError> migrate(Database& db, const std::filesystem::path& dir) {
    auto files = read_files(dir);
    if (!files) return files.error();

    // Portable DDL: the same text works on SQLite and PostgreSQL.
    if (auto r = db.execute("CREATE TABLE IF NOT EXISTS bulwark_migrations (number BIGINT PRIMARY KEY, "
                            "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        !r)
        return fail(MigrateErrorCode::failed, 0, r.error());
    auto history = db.query_as<std::tuple<std::int64_t, std::string, std::string>>(
        "SELECT number, name, checksum FROM bulwark_migrations ORDER BY number");
    if (!history) return fail(MigrateErrorCode::failed, 0, history.error());

    MigrateReport report;
    for (std::size_t i = 0; i < history->size(); ++i) {
        const auto& [number, name, checksum] = (*history)[i];
        if (number != static_cast<std::int64_t>(i + 1)) return fail(MigrateErrorCode::gap, static_cast<int>(i + 1));
        if (i >= files->size() || (*files)[i].name != name) return fail(MigrateErrorCode::missing_file, static_cast<int>(number));
        if (!crypto::equal((*files)[i].checksum, checksum))
            return fail(MigrateErrorCode::checksum_mismatch, static_cast<int>(number));
    }
    report.already_applied = history->size();

    for (std::size_t i = history->size(); i < files->size(); ++i) {
        const MigrationFile& m = (*files)[i];
        auto tx = db.transaction();
        if (!tx) return fail(MigrateErrorCode::failed, m.number, tx.error());
        // The record goes first: a second process migrating at once hits the primary key
        // (or waits on the lock) instead of running the file twice.
        const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
        auto rec = db.execute("INSERT INTO bulwark_migrations (number, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                              std::int64_t{m.number}, m.name, m.checksum, now);
        if (!rec) {
            const auto code = rec.error() == ErrorCode::unique_violation ? MigrateErrorCode::concurrent : MigrateErrorCode::failed;
            return fail(code, m.number, rec.error());
        }
        if (auto r = db.execute_trusted_script(m.text); !r) return fail(MigrateErrorCode::failed, m.number, r.error());
        if (auto c = tx->commit(); !c) return fail(MigrateErrorCode::failed, m.number, c.error());
        report.applied.push_back(m.name);
    }
    return report;
}

}  // namespace bulwark::db
