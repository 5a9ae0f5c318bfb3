// The `bulwark` command: serve the reference app, and the tasks around it. The subcommands
// that manage its data live beside this file, one per topic (cli.hpp).
#include <bulwark/config.hpp>
#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>
#include <bulwark/password.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli.hpp"
#include "reference_app.hpp"

namespace bulwark::cli {

Config load_config(const Flags& flags) {
    LoadOptions options;
    // Flags win over the environment, which wins over .env.
    if (!flags.host.empty()) options.overrides["BULWARK_HOST"] = flags.host;
    if (flags.port != 0) options.overrides["BULWARK_PORT"] = std::to_string(flags.port);
    if (!flags.instance.empty()) options.overrides["BULWARK_INSTANCE_DIR"] = flags.instance;
    if (!flags.tls_cert.empty()) options.overrides["BULWARK_TLS_CERT"] = flags.tls_cert;
    if (!flags.tls_key.empty()) options.overrides["BULWARK_TLS_KEY"] = flags.tls_key;
    if (!flags.database_url.empty()) options.overrides["DATABASE_URL"] = flags.database_url;
    if (!flags.redis_url.empty()) options.overrides["REDIS_URL"] = flags.redis_url;
    Config config = Config::from_env(options);
    // A relative instance folder (the default `instance`, or `--instance ./x`) gives a SQLite
    // URL the database layer does not open; the same folder made absolute does.
    if (config.instance_dir.is_relative()) {
        options.overrides["BULWARK_INSTANCE_DIR"] = std::filesystem::absolute(config.instance_dir).string();
        config = Config::from_env(options);
    }
    return config;
}

}  // namespace bulwark::cli

namespace {

using bulwark::cli::Flags;
using bulwark::cli::load_config;

int serve(const Flags& flags) {
    bulwark::Config config = load_config(flags);
    for (const auto& warning : config.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    bulwark::App app;
    reference::build(app, config);
    bulwark::ServerOptions options;
    options.host = config.host;
    options.port = config.port;
    options.trusted_proxies = config.trusted_proxies;
    options.proxy_headers = config.proxy_headers;
    if (config.tls_cert) options.tls_certificate = config.tls_cert->string();
    if (config.tls_key) options.tls_private_key = config.tls_key->string();
    const std::string scheme = options.tls_certificate.empty() ? "http" : "https";
    options.on_listening = [&](std::uint16_t port) {
        std::fprintf(stderr, "bulwark: serving the reference app on %s://%s:%u (%s)\n", scheme.c_str(),
                     options.host.c_str(), port, config.is_production() ? "production" : "development");
    };
    app.run(options);
    std::fprintf(stderr, "bulwark: stopped\n");
    return 0;
}

int hash_password() {
    auto password = bulwark::password::read_password();
    if (!password) {
        std::fprintf(stderr, "bulwark: could not read a password: %s\n",
                     std::string(bulwark::password::error_name(password.error())).c_str());
        return 1;
    }
    auto hashed = bulwark::password::hash(*password);
    bulwark::crypto::wipe(password->data(), password->size());
    if (!hashed) {
        std::fprintf(stderr, "bulwark: %s\n", std::string(bulwark::password::error_name(hashed.error())).c_str());
        return 1;
    }
    std::printf("%s\n", hashed->c_str());
    return 0;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string tag_value(const bulwark::RouteOptions& options, std::string_view key) {
    for (const auto& [k, v] : options.tags)
        if (k == key) return v;
    return {};
}

// routes prints every route of the reference app with its protections.
int routes(const Flags& flags) {
    bulwark::Config config = load_config(flags);
    bulwark::App app;
    reference::build(app, config);
    std::printf("%-8s %-36s %-8s %-6s %-22s %s\n", "METHOD", "PATH", "THREAD", "CSRF", "RATE LIMITS", "AUTH");
    for (const auto& route : app.routes()) {
        const auto& o = *route.options;
        const bool unsafe = route.method != "GET" && route.method != "HEAD" && route.method != "OPTIONS";
        std::string limits = o.no_rate_limit ? "exempt" : join(o.rate_limits, "; ");
        if (limits.empty()) limits = "default";
        std::string auth = tag_value(o, "auth");
        std::printf("%-8s %-36s %-8s %-6s %-22s %s\n", route.method.c_str(), route.pattern.c_str(),
                    o.run_inline ? "inline" : "pool", !unsafe ? "-" : (o.csrf_exempt ? "EXEMPT" : "on"),
                    limits.c_str(), auth.empty() ? "-" : auth.c_str());
    }
    return 0;
}

// check_config is Django's `check --deploy` for a Bulwark app: it loads the settings as
// `serve` would and names every insecure choice. Exit status 1 when anything fails.
int check_config(const Flags& flags) {
    int failures = 0;
    auto fail = [&](const std::string& what) {
        ++failures;
        std::printf("FAIL  %s\n", what.c_str());
    };
    auto warn = [](const std::string& what) { std::printf("WARN  %s\n", what.c_str()); };
    bulwark::Config config;
    try {
        config = load_config(flags);
    } catch (const bulwark::ConfigError& e) {
        fail(e.what());
        std::printf("1 problem: the app would refuse to start\n");
        return 1;
    }
    for (const auto& w : config.warnings) warn(w);
    if (!config.is_production()) warn("BULWARK_ENV is development: cookies are not Secure, no HTTPS redirect or HSTS");
    if (config.is_production() && !config.tls_cert && config.trusted_proxies.empty())
        fail("production without TLS and without TRUSTED_PROXIES: HTTPS cannot be told apart or enforced");
    if (config.is_production() && config.host != "127.0.0.1" && config.host != "::1" && !config.tls_cert)
        warn("production listens on " + config.host + " over plain HTTP; put a TLS proxy in front");
    bulwark::App app;
    reference::build(app, config);
    for (const auto& route : app.routes()) {
        const auto& o = *route.options;
        const std::string name = route.method + " " + route.pattern;
        const bool unsafe = route.method != "GET" && route.method != "HEAD" && route.method != "OPTIONS";
        if (unsafe && o.csrf_exempt && tag_value(o, "auth").empty())
            fail(name + " is CSRF-exempt but names no non-cookie authentication (tag \"auth\")");
        if (route.pattern.find("login") != std::string::npos && unsafe && o.rate_limits.empty())
            fail(name + " is a login route without a rate limit");
        if (o.no_rate_limit && unsafe) warn(name + " is exempt from rate limits");
    }
    std::printf("%d problem%s\n", failures, failures == 1 ? "" : "s");
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    namespace cli = bulwark::cli;
    CLI::App app{"bulwark: the security-first C++ web framework's command line"};
    app.require_subcommand(1);

    Flags flags;
    auto* serve_cmd = app.add_subcommand("serve", "Start the reference app (development unless BULWARK_ENV=production)");
    serve_cmd->add_option("--host", flags.host, "Address to listen on (default 127.0.0.1, or BULWARK_HOST)");
    serve_cmd->add_option("--port", flags.port, "Port to listen on (default 8080, or BULWARK_PORT)")
        ->check(CLI::Range(1, 65535));
    serve_cmd->add_option("--tls-cert", flags.tls_cert, "PEM certificate chain; with --tls-key serves HTTPS");
    serve_cmd->add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert");
    serve_cmd->add_option("--redis-url", flags.redis_url, "redis://host:port/db for shared state (or REDIS_URL)");

    auto* routes_cmd = app.add_subcommand("routes", "List every route with its protections (CSRF, rate limits, authentication)");
    auto* check_cmd = app.add_subcommand("check-config", "Check the settings and routes for insecure choices, as serve would load them");

    auto* db_cmd = app.add_subcommand("db", "The reference app's database schema");
    db_cmd->require_subcommand(1);
    auto* db_upgrade_cmd = db_cmd->add_subcommand("upgrade", "Apply the pending migrations; refuse when the recorded history differs from the files");
    auto* db_status_cmd = db_cmd->add_subcommand("status", "Show applied and pending migrations (exit 1 unless up to date)");

    cli::ApiKeyFlags key;
    auto* key_cmd = app.add_subcommand("api-key", "API keys for GET /api/data (stored as hashes only)");
    key_cmd->require_subcommand(1);
    auto* key_create_cmd = key_cmd->add_subcommand("create", "Create a key and print it once, alone on stdout");
    key_create_cmd->add_option("--name", key.name, "What the key is for (1 to 64 printable characters)")->required();
    key_create_cmd->add_option("--scopes", key.scopes, "Comma-separated scopes")->capture_default_str();
    key_create_cmd->add_option("--expires-in", key.expires_in, "Lifetime: 45s, 30m, 12h, 90d (at most 3650d) or never")
        ->capture_default_str();
    key_create_cmd->add_option("--user", key.user, "The existing user the key speaks for (default: owner `service`)");
    auto* key_list_cmd = key_cmd->add_subcommand("list", "List the keys: never their secret or hash");
    auto* key_revoke_cmd = key_cmd->add_subcommand("revoke", "Revoke a key by its id; it is refused from then on");
    key_revoke_cmd->add_option("id", key.id, "The key's 12-character id (see `api-key list`)")->required();

    cli::UserFlags user;
    auto* user_cmd = app.add_subcommand("create-user", "Create an account; the password is read without echo or from stdin");
    user_cmd->add_option("username", user.username, "3 to 20 letters, digits or underscores")->required();
    user_cmd->add_option("--email", user.email, "The account's email address")->required();

    // Every command that reads the settings takes the instance folder and the database.
    for (auto* cmd : {serve_cmd, routes_cmd, check_cmd, db_upgrade_cmd, db_status_cmd, key_create_cmd, key_list_cmd,
                      key_revoke_cmd, user_cmd}) {
        cmd->add_option("--instance", flags.instance,
                        "Instance folder: SQLite file, development key, uploads (default ./instance, or BULWARK_INSTANCE_DIR)");
        cmd->add_option("--database-url", flags.database_url, "sqlite:///path or postgresql://... (or DATABASE_URL)");
    }

    cli::AuditFlags audit;
    auto* audit_cmd = app.add_subcommand("audit", "Check a running site against the security checklist; exit 1 when a check fails");
    audit_cmd->add_option("url", audit.url, "The site's address, https://host[:port]/")->required();
    audit_cmd->add_option("--http-url", audit.http_url, "Where to test the HTTPS redirect (default http://HOST/)");
    audit_cmd->add_option("--ca-file", audit.ca_file, "PEM certificates to trust (e.g. a test CA)");
    audit_cmd->add_flag("--insecure", audit.insecure, "Skip certificate checks (said so in the report)");
    audit_cmd->add_option("--timeout", audit.timeout_seconds, "Seconds per request")->check(CLI::Range(1, 60))->capture_default_str();
    audit_cmd->add_option("--login-path", audit.login_path, "The login form's path")->capture_default_str();
    audit_cmd->add_option("--register-path", audit.register_path, "The sign-up form's path")->capture_default_str();
    audit_cmd->add_option("--username-field", audit.username_field, "The login form's username field")->capture_default_str();
    audit_cmd->add_option("--password-field", audit.password_field, "The login form's password field")->capture_default_str();
    audit_cmd->add_option("--csrf-field", audit.csrf_field, "The hidden CSRF field (default: any named like a token)");
    audit_cmd->add_option("--cookie", audit.cookie_name, "The session cookie's name (default: the first with \"session\")");

    std::string new_dir, new_name;
    auto* new_cmd = app.add_subcommand("new", "Write a new app's skeleton that builds against the installed Bulwark");
    new_cmd->add_option("dir", new_dir, "A new or empty folder")->required();
    new_cmd->add_option("--name", new_name, "The project's name (default: the folder's), [a-z][a-z0-9_-]*");

    app.add_subcommand("gen-secret", "Print a new random SECRET_KEY (384 bits, base64url)");
    app.add_subcommand("hash-password", "Hash a password read from the terminal (no echo) or stdin");

    CLI11_PARSE(app, argc, argv);
    try {
        if (serve_cmd->parsed()) return serve(flags);
        if (routes_cmd->parsed()) return routes(flags);
        if (check_cmd->parsed()) return check_config(flags);
        if (db_upgrade_cmd->parsed()) return cli::db_upgrade(flags);
        if (db_status_cmd->parsed()) return cli::db_status(flags);
        if (key_create_cmd->parsed()) return cli::api_key_create(flags, key);
        if (key_list_cmd->parsed()) return cli::api_key_list(flags);
        if (key_revoke_cmd->parsed()) return cli::api_key_revoke(flags, key);
        if (user_cmd->parsed()) return cli::create_user(flags, user);
        if (audit_cmd->parsed()) return cli::audit_site(audit);
        if (new_cmd->parsed()) return cli::new_project(new_dir, new_name);
        if (app.got_subcommand("gen-secret")) {
            std::printf("%s\n", bulwark::crypto::random_token(48).c_str());
            return 0;
        }
        if (app.got_subcommand("hash-password")) return hash_password();
    } catch (const bulwark::ConfigError& e) {
        std::fprintf(stderr, "bulwark: refusing to start: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bulwark: %s\n", e.what());
        return 1;
    }
    return 0;
}
