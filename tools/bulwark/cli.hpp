// The `bulwark` command's subcommands, one file per topic: main.cpp wires them to CLI11,
// database.cpp has `db upgrade` / `db status` and the shared database opening, api_key.cpp
// `api-key create|list|revoke`, user.cpp `create-user`, audit*.cpp `audit URL` (audit.hpp),
// new_project.cpp `new DIR`.
//
// Every command that touches the reference app's data opens it exactly as `serve` does (the
// same settings: flags, then the environment, then .env; DATABASE_URL or the instance
// folder's SQLite file) and brings the schema up to date first, so a fresh instance folder
// works without a separate `db upgrade`. Exit status: 0 done, 1 refused or failed (with one
// clear line on stderr), 2 settings that would make `serve` refuse to start. Nothing printed
// ever holds a password, a key's secret or hash, or the database URL (it may hold a password).
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/db.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::cli {

// Flags: the settings a command line may override, shared by every subcommand.
struct Flags {
    std::string host;
    int port = 0;
    std::string instance;
    std::string tls_cert;
    std::string tls_key;
    std::string database_url;
    std::string redis_url;
};

// load_config loads the settings as `serve` does; flags win over the environment, which wins
// over .env. Throws ConfigError (exit 2).
Config load_config(const Flags& flags);

// open_database opens DATABASE_URL, or the SQLite file in the instance folder (made 0700 first,
// as the app does). Throws std::runtime_error with the error's fixed message when it cannot.
db::Database open_database(const Config& config);

// migrate_verbosely applies the reference app's migrations, printing one line per applied
// file to `out` (stdout for `db upgrade`, stderr when another command upgrades first). On a
// refusal it prints why to stderr and returns false.
bool migrate_verbosely(db::Database& database, const Config& config, std::FILE* out, bool quiet_when_current);

// open_migrated: open_database + migrate_verbosely(stderr); nullopt (already explained) when
// the migrations are refused.
std::optional<db::Database> open_migrated(const Config& config);

int db_upgrade(const Flags& flags);
int db_status(const Flags& flags);

struct ApiKeyFlags {
    std::string name;
    std::string scopes = "data:read";
    std::string expires_in = "90d";
    std::string user;
    std::string id;  // revoke
};
int api_key_create(const Flags& flags, const ApiKeyFlags& key);
int api_key_list(const Flags& flags);
int api_key_revoke(const Flags& flags, const ApiKeyFlags& key);

// parse_duration reads `90d`, `12h`, `30m`, `45s` (1 to 3650 days in all) or `never`
// (nullopt inside the optional). The outer nullopt means malformed or out of range.
std::optional<std::optional<std::chrono::seconds>> parse_duration(std::string_view text);

struct UserFlags {
    std::string username;
    std::string email;
};
int create_user(const Flags& flags, const UserFlags& user);

// valid_username: the contract's rule, 3 to 20 of [A-Za-z0-9_] (as POST /register checks).
bool valid_username(std::string_view username) noexcept;

// printable replaces control and non-ASCII bytes by '?', for text read back from the database.
std::string printable(std::string_view text);

// format_time: Unix seconds as `2026-11-29T06:10:00Z`; "-" for none.
std::string format_time(std::optional<std::int64_t> unix_seconds);

// AuditFlags: `bulwark audit URL` (audit.cpp; the checks in audit.hpp). The form defaults are
// the reference app's.
struct AuditFlags {
    std::string url;
    std::string http_url;  // where the HTTPS-redirect probe goes; default http://HOST/
    std::string ca_file;   // a PEM bundle to trust instead of the system's
    bool insecure = false; // no certificate checks (printed in the report)
    int timeout_seconds = 10;
    std::string login_path = "/login";
    std::string register_path = "/register";
    std::string username_field = "username";
    std::string password_field = "password";
    std::string csrf_field;   // empty: any hidden field named like a CSRF token
    std::string cookie_name;  // empty: the first cookie whose name has "session"
};
// audit_site probes the site and prints the graded report: exit 0 when no check fails, 1 when
// one does or the arguments are unusable.
int audit_site(const AuditFlags& flags);

// new_project writes a new app's skeleton into `dir` (new_project.cpp): refuses (exit 1) a
// non-empty folder or a name that is not [a-z][a-z0-9_-]{0,39} (the folder's name, or --name).
int new_project(const std::string& dir, const std::string& name);
// valid_project_name: the rule new_project applies (a CMake project and target name).
bool valid_project_name(std::string_view name) noexcept;

}  // namespace bulwark::cli
