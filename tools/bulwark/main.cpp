// The `bulwark` command: serve the reference app, and the tasks around it.
#include <bulwark/config.hpp>
#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>
#include <bulwark/password.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "reference_app.hpp"

namespace {

struct ServeFlags {
    std::string host;
    int port = 0;
    std::string instance;
    std::string tls_cert;
    std::string tls_key;
    std::string database_url;
    std::string redis_url;
};

bulwark::Config load_config(const ServeFlags& flags) {
    bulwark::LoadOptions options;
    // Flags win over the environment, which wins over .env.
    if (!flags.host.empty()) options.overrides["BULWARK_HOST"] = flags.host;
    if (flags.port != 0) options.overrides["BULWARK_PORT"] = std::to_string(flags.port);
    if (!flags.instance.empty()) options.overrides["BULWARK_INSTANCE_DIR"] = flags.instance;
    if (!flags.tls_cert.empty()) options.overrides["BULWARK_TLS_CERT"] = flags.tls_cert;
    if (!flags.tls_key.empty()) options.overrides["BULWARK_TLS_KEY"] = flags.tls_key;
    if (!flags.database_url.empty()) options.overrides["DATABASE_URL"] = flags.database_url;
    if (!flags.redis_url.empty()) options.overrides["REDIS_URL"] = flags.redis_url;
    return bulwark::Config::from_env(options);
}

int serve(const ServeFlags& flags) {
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

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"bulwark: the security-first C++ web framework's command line"};
    cli.require_subcommand(1);

    ServeFlags flags;
    auto* serve_cmd = cli.add_subcommand("serve", "Start the reference app (development unless BULWARK_ENV=production)");
    serve_cmd->add_option("--host", flags.host, "Address to listen on (default 127.0.0.1, or BULWARK_HOST)");
    serve_cmd->add_option("--port", flags.port, "Port to listen on (default 8080, or BULWARK_PORT)")
        ->check(CLI::Range(1, 65535));
    serve_cmd->add_option("--instance", flags.instance,
                          "Instance folder: SQLite file, development key, uploads (default ./instance)");
    serve_cmd->add_option("--tls-cert", flags.tls_cert, "PEM certificate chain; with --tls-key serves HTTPS");
    serve_cmd->add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert");
    serve_cmd->add_option("--database-url", flags.database_url, "sqlite:///path or postgresql://... (or DATABASE_URL)");
    serve_cmd->add_option("--redis-url", flags.redis_url, "redis://host:port/db for shared state (or REDIS_URL)");

    cli.add_subcommand("gen-secret", "Print a new random SECRET_KEY (384 bits, base64url)");
    cli.add_subcommand("hash-password", "Hash a password read from the terminal (no echo) or stdin");

    CLI11_PARSE(cli, argc, argv);
    try {
        if (serve_cmd->parsed()) return serve(flags);
        if (cli.got_subcommand("gen-secret")) {
            std::printf("%s\n", bulwark::crypto::random_token(48).c_str());
            return 0;
        }
        if (cli.got_subcommand("hash-password")) return hash_password();
    } catch (const bulwark::ConfigError& e) {
        std::fprintf(stderr, "bulwark: refusing to start: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bulwark: %s\n", e.what());
        return 1;
    }
    return 0;
}
