// `bulwark db upgrade` and `bulwark db status`, and the database opening every data command
// shares. The migrations are the reference app's (apps/reference/migrations/<backend>), read
// from BULWARK_REFERENCE_DIR when set, as the app itself does.
#include "cli.hpp"

#include <bulwark/crypto.hpp>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "app_state.hpp"

namespace bulwark::cli {
namespace {

std::filesystem::path migrations_dir(const Config& config, const db::Database& database) {
    return reference::detail::resource_dir(config) / "migrations" /
           (database.backend() == db::Backend::postgresql ? "postgresql" : "sqlite");
}

std::string number_text(int number) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d", number);
    return buf;
}

// explain says what a refused migration means for the operator, in one line.
std::string explain(const db::MigrateError& e, const std::filesystem::path& dir) {
    const std::string n = number_text(e.number);
    switch (e.code) {
        case db::MigrateErrorCode::checksum_mismatch:
            return "migration " + n + " was changed after it was applied: the recorded history differs from the "
                   "files in " + dir.string() + "; restore the file or add a new migration instead";
        case db::MigrateErrorCode::missing_file:
            return "the database records migration " + n + ", which no file in " + dir.string() +
                   " provides (renamed or removed): the recorded history differs from the files";
        case db::MigrateErrorCode::gap:
            return "the migration numbers have a gap at " + n + " (in the files or in the recorded history)";
        case db::MigrateErrorCode::duplicate_number: return "two migration files have the number " + n;
        case db::MigrateErrorCode::bad_file_name: return "a *.sql file in " + dir.string() + " is not named NNNN_name.sql";
        case db::MigrateErrorCode::unreadable_directory:
            return "cannot read the migrations in " + dir.string() + " (missing, unreadable, or a file over 1 MiB)";
        case db::MigrateErrorCode::concurrent:
            return "another process applied migration " + n + " at the same time; run the command again";
        case db::MigrateErrorCode::failed:
            // The migration files are the developer's own SQL: the driver's message is what
            // they need to fix it, and holds no user data.
            return "the database refused migration " + n + " (" + std::string(db::error_code_name(e.database.code())) +
                   "): " + e.database.diagnostic_for_log();
    }
    return "migration refused";
}

struct FileState {
    std::string checksum;
    bool applied = false;
};

}  // namespace

db::Database open_database(const Config& config) {
    std::filesystem::create_directories(config.instance_dir);
    std::filesystem::permissions(config.instance_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    auto database = db::Database::open(config.database_url);
    // The URL may hold a password: only the error's fixed message is shown.
    if (!database) throw std::runtime_error("cannot open the database: " + std::string(database.error().message()));
    return std::move(*database);
}

bool migrate_verbosely(db::Database& database, const Config& config, std::FILE* out, bool quiet_when_current) {
    const auto dir = migrations_dir(config, database);
    auto report = db::migrate(database, dir);
    if (!report) {
        std::fprintf(stderr, "bulwark: refusing to upgrade the database: %s\n", explain(report.error(), dir).c_str());
        return false;
    }
    for (const auto& name : report->applied) std::fprintf(out, "applied %s\n", name.c_str());
    if (report->applied.empty() && !quiet_when_current)
        std::fprintf(out, "nothing to apply: %zu migration%s already applied\n", report->already_applied,
                     report->already_applied == 1 ? "" : "s");
    return true;
}

std::optional<db::Database> open_migrated(const Config& config) {
    auto database = open_database(config);
    if (!migrate_verbosely(database, config, stderr, true)) return std::nullopt;
    return database;
}

int db_upgrade(const Flags& flags) {
    const Config config = load_config(flags);
    auto database = open_database(config);
    return migrate_verbosely(database, config, stdout, false) ? 0 : 1;
}

// db_status compares the recorded history with the files without changing anything: exit 0
// when up to date, 1 when migrations are pending or the history differs from the files.
int db_status(const Flags& flags) {
    const Config config = load_config(flags);
    auto database = open_database(config);
    const auto dir = migrations_dir(config, database);

    std::map<std::string, FileState> files;  // by name, which sorts by number
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto path = it->path();
        if (path.extension() != ".sql" || !it->is_regular_file(ec) || it->file_size(ec) > (1u << 20)) continue;
        std::ifstream in(path, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        const std::string body = text.str();
        files[path.stem().string()].checksum = crypto::hex_encode(crypto::sha256(crypto::as_bytes(body)));
    }
    if (ec) {
        std::fprintf(stderr, "bulwark: cannot read the migrations in %s\n", dir.string().c_str());
        return 1;
    }

    std::printf("database: %s\nmigrations: %s\n",
                database.backend() == db::Backend::postgresql ? "postgresql (DATABASE_URL)" : "sqlite",
                dir.string().c_str());
    auto history = database.query_as<std::tuple<std::int64_t, std::string, std::string, std::int64_t>>(
        "SELECT number, name, checksum, applied_at FROM bulwark_migrations ORDER BY number");
    if (!history && history.error() != db::ErrorCode::invalid_statement) {
        std::fprintf(stderr, "bulwark: cannot read the migration history: %s\n",
                     std::string(history.error().message()).c_str());
        return 1;
    }
    int differing = 0, pending = 0;
    if (history) {
        for (const auto& [number, name, checksum, applied_at] : *history) {
            auto it = files.find(name);
            const char* state = "applied";
            if (it == files.end()) {
                state = "MISSING FILE";
                ++differing;
            } else {
                it->second.applied = true;
                if (!crypto::equal(it->second.checksum, checksum)) {
                    state = "CHANGED SINCE APPLIED";
                    ++differing;
                }
            }
            // applied_at is microseconds since the epoch (db::migrate records it so).
            std::printf("  %-13s %-30s %s\n", state, printable(name).c_str(), format_time(applied_at / 1000000).c_str());
        }
    }
    for (const auto& [name, file] : files) {
        if (file.applied) continue;
        std::printf("  %-13s %s\n", "pending", name.c_str());
        ++pending;
    }
    if (differing > 0) {
        std::printf("the recorded history differs from the files: `bulwark db upgrade` will refuse\n");
        return 1;
    }
    if (pending > 0) {
        std::printf("%d migration%s pending: run `bulwark db upgrade`\n", pending, pending == 1 ? "" : "s");
        return 1;
    }
    std::printf("up to date\n");
    return 0;
}

std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    return out;
}

std::string format_time(std::optional<std::int64_t> unix_seconds) {
    if (!unix_seconds) return "-";
    const std::time_t t = static_cast<std::time_t>(*unix_seconds);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return "?";
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "?";
    return buf;
}

}  // namespace bulwark::cli
