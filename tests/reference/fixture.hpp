// A reference app on a fresh instance folder, driven in process. By default on a fresh SQLite
// database with in-process stores; App(Backend::postgresql_redis) puts it on the test
// PostgreSQL (a fresh schema) and Redis (a fresh key prefix) instead, both removed afterwards.
//
// To run a suite on every backend the executable was built for, make it a TEST_P of
// reference_test::BackendTest (or a fixture derived from it), build the app with
// `reference_test::App a(GetParam());` and instantiate it with
//     INSTANTIATE_TEST_SUITE_P(, MySuite, reference_test::backends(), reference_test::backend_name);
// test_reference runs it on SQLite; test_reference_services (label integration) compiles the same
// file with REFERENCE_TEST_SERVICES and runs it on PostgreSQL + Redis.
#pragma once

#include "reference_app.hpp"
#include "support/test_env.hpp"

#include <bulwark/crypto.hpp>
#include <bulwark/db.hpp>
#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>

namespace reference_test {

inline const std::string kWebhookSecret = "whsec-test-0123456789abcdef0123456789abcdef";
inline const std::string kPassword = "correct horse battery staple 42";

// Backend: where the app keeps its data and its shared state.
enum class Backend {
    sqlite,            // a SQLite file in the instance folder, in-process stores
    postgresql_redis,  // BULWARK_TEST_DATABASE_URL and BULWARK_TEST_REDIS_URL
};

// backends: the backends this executable runs parameterized suites on.
inline auto backends() {
#ifdef REFERENCE_TEST_SERVICES
    return ::testing::Values(Backend::postgresql_redis);
#else
    return ::testing::Values(Backend::sqlite);
#endif
}

// backend_name names the instantiation in test names: `Suite.Test/sqlite`.
inline std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::sqlite ? "sqlite" : "postgresql_redis";
}

// BackendTest skips (or, with BULWARK_REQUIRE_SERVICES=1, fails) the PostgreSQL + Redis
// cases when the test services are not configured.
class BackendTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        if (GetParam() == Backend::sqlite) return;
        BULWARK_SERVICE_URL_OR_SKIP(database_url, "BULWARK_TEST_DATABASE_URL");
        BULWARK_SERVICE_URL_OR_SKIP(redis_url, "BULWARK_TEST_REDIS_URL");
    }
};

namespace detail {

// with_query_param appends `key=value` to a URL's query string.
inline std::string with_query_param(const std::string& url, const std::string& key, const std::string& value) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
}

// redis_delete_prefix removes every key under `prefix` from the Redis of a
// redis://host:port/db URL (best effort: the keys all carry TTLs anyway).
inline void redis_delete_prefix(const std::string& url, const std::string& prefix) {
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0) return;
    std::string rest = url.substr(scheme.size());
    rest = rest.substr(0, rest.find('?'));
    if (rest.find('@') != std::string::npos) return;  // a password-protected server: leave it to the TTLs
    const auto slash = rest.find('/');
    const std::string db = slash == std::string::npos ? "0" : rest.substr(slash + 1);
    const std::string authority = rest.substr(0, slash);
    const auto colon = authority.rfind(':');
    const std::string host = authority.substr(0, colon);
    const std::string port = colon == std::string::npos ? "6379" : authority.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return;
    const int fd = ::socket(found->ai_family, found->ai_socktype, found->ai_protocol);
    const bool connected = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) {
        if (fd >= 0) ::close(fd);
        return;
    }
    auto bulk = [](const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; };
    const std::string script =
        "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0";
    const std::string commands = "*2\r\n" + bulk("SELECT") + bulk(db) + "*4\r\n" + bulk("EVAL") + bulk(script) +
                                 bulk("0") + bulk(prefix + "*") + "*1\r\n" + bulk("QUIT");
    (void)::send(fd, commands.data(), commands.size(), MSG_NOSIGNAL);
    // QUIT closes the connection once the earlier replies are out: read until then.
    char buf[512];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 2000) > 0 && ::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    ::close(fd);
}

// Services: a fresh PostgreSQL schema and Redis key prefix for one App, dropped with it.
class Services {
public:
    explicit Services(Backend backend) {
        if (backend == Backend::sqlite) return;
        const auto database_url = ::bulwark::testing_env::service_url("BULWARK_TEST_DATABASE_URL");
        redis_url_ = ::bulwark::testing_env::service_url("BULWARK_TEST_REDIS_URL");
        if (database_url.empty() || redis_url_.empty())
            throw std::runtime_error("BULWARK_TEST_DATABASE_URL and BULWARK_TEST_REDIS_URL must be set");
        const auto tag = ::bulwark::crypto::hex_encode(::bulwark::crypto::random_bytes(8));
        schema_ = "bk_ref_" + tag;
        auto admin = ::bulwark::db::Database::open(database_url);
        if (!admin) throw std::runtime_error("test database: " + admin.error().diagnostic_for_log());
        admin_ = std::make_unique<::bulwark::db::Database>(std::move(*admin));
        // The name is ours (hex from the CSPRNG), never input: the trusted-script API is right here.
        if (auto r = admin_->execute_trusted_script("CREATE SCHEMA " + schema_); !r)
            throw std::runtime_error("create schema: " + r.error().diagnostic_for_log());
        redis_prefix_ = "bk_ref_" + tag + ":";
        vars_["DATABASE_URL"] = with_query_param(database_url, "options", "-csearch_path%3D" + schema_);
        vars_["REDIS_URL"] = with_query_param(redis_url_, "prefix", redis_prefix_);
    }
    ~Services() {
        if (admin_) (void)admin_->execute_trusted_script("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        if (!redis_prefix_.empty()) redis_delete_prefix(redis_url_, redis_prefix_);
    }
    Services(const Services&) = delete;
    Services& operator=(const Services&) = delete;

    // add_to puts DATABASE_URL and REDIS_URL into `vars` (the test's own values win).
    std::map<std::string, std::string> add_to(std::map<std::string, std::string> vars) const {
        for (const auto& [k, v] : vars_) vars.emplace(k, v);
        return vars;
    }
    const std::string& schema() const { return schema_; }

private:
    std::unique_ptr<::bulwark::db::Database> admin_;
    std::string schema_, redis_url_, redis_prefix_;
    std::map<std::string, std::string> vars_;
};

}  // namespace detail

struct App {
    // services is declared first so it is dropped last, after the app has closed its
    // connections to the schema.
    detail::Services services;
    std::filesystem::path dir;
    bulwark::Config config;
    bulwark::App app;

    static std::filesystem::path fresh_dir() {
        auto d = std::filesystem::temp_directory_path() / ("bulwark-reference-" + bulwark::crypto::random_token(8));
        std::filesystem::create_directories(d);
        return d;
    }
    explicit App(std::map<std::string, std::string> extra = {}) : App(Backend::sqlite, std::move(extra)) {}
    explicit App(Backend backend, std::map<std::string, std::string> extra = {})
        : services(backend), dir(fresh_dir()), config(make_config(dir, services.add_to(std::move(extra)))) {
        reference::build(app, config);
    }
    ~App() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    static bulwark::Config make_config(const std::filesystem::path& dir, std::map<std::string, std::string> vars) {
        vars.emplace("BULWARK_INSTANCE_DIR", dir.string());
        vars.emplace("WEBHOOK_SECRET", kWebhookSecret);
        vars.emplace("CORS_ORIGINS", "https://app.example.com");
        return bulwark::Config::from_map(vars);
    }
};

// token_in pulls the hidden csrf_token out of a rendered form.
inline std::string token_in(const std::string& html) {
    static const std::regex re(R"re(name="csrf_token" value="([A-Za-z0-9_-]+)")re");
    std::smatch m;
    return std::regex_search(html, m, re) ? m[1].str() : std::string();
}

}  // namespace reference_test
