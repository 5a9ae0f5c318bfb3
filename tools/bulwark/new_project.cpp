// `bulwark new DIR`: a new app's skeleton that builds against the installed Bulwark with
// find_package(bulwark): CMakeLists.txt, src/ (the app's routes apart from main, so the test
// drives the same app in process), tests/ (one GoogleTest test with bulwark::testing),
// .env.example, .gitignore and a README.
//
// It never writes into a folder that has anything in it, so it cannot overwrite a project, and
// it accepts only a name that is safe everywhere it lands (CMake target, C++ namespace, HTML
// title, file names). The skeleton holds no secret: development makes its own key in the
// instance folder, and .env.example tells how to make a production one (`bulwark gen-secret`).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cli.hpp"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCMakeLists = R"(cmake_minimum_required(VERSION 3.25)
project(@NAME@ LANGUAGES CXX)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)

# The installed Bulwark: configure with -DCMAKE_PREFIX_PATH=<its install prefix> when it is
# not under /usr or /usr/local.
find_package(bulwark REQUIRED)

# The app's routes, shared by the server and the tests.
add_library(@NAME@_app STATIC src/app.cpp)
target_include_directories(@NAME@_app PUBLIC src)
target_link_libraries(@NAME@_app PUBLIC bulwark::bulwark)

add_executable(@NAME@ src/main.cpp)
target_link_libraries(@NAME@ PRIVATE @NAME@_app)

include(CTest)
if(BUILD_TESTING)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  add_executable(@NAME@_test tests/app_test.cpp)
  target_link_libraries(@NAME@_test PRIVATE @NAME@_app GTest::gtest GTest::gtest_main)
  gtest_discover_tests(@NAME@_test)
endif()
)";

constexpr std::string_view kAppHpp =
    R"(// The app: Bulwark's secure pipeline and the routes. main.cpp serves it; the tests call
// build() on their own App and drive it with bulwark::testing::TestClient.
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/http.hpp>
#include <bulwark/pipeline.hpp>

namespace @NS@ {

// build installs the default pipeline (secure headers, CSRF, sessions, rate limits) and the
// routes on `app`. `services` must outlive `app`.
void build(bulwark::App& app, const bulwark::Config& config, bulwark::pipeline::Services& services);

}  // namespace @NS@
)";

constexpr std::string_view kAppCpp = R"(#include "app.hpp"

namespace @NS@ {

void build(bulwark::App& app, const bulwark::Config& config, bulwark::pipeline::Services& services) {
    bulwark::pipeline::install_defaults(app, config, services);

    app.get("/", [](bulwark::Request&) {
        return bulwark::Response::html("<!doctype html><title>@NAME@</title><h1>Hello from @NAME@</h1>");
    });
}

}  // namespace @NS@
)";

constexpr std::string_view kMainCpp =
    R"(// @NAME@: serves the app on BULWARK_HOST:BULWARK_PORT (127.0.0.1:8080 by default).
// Settings come from the environment, then ./.env; with BULWARK_ENV=production Bulwark refuses
// to start without a strong SECRET_KEY.
#include "app.hpp"

#include <cstdio>

int main() {
    try {
        const bulwark::Config config = bulwark::Config::from_env();
        for (const auto& warning : config.warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
        auto services = bulwark::pipeline::make_services(config);
        bulwark::App app;
        @NS@::build(app, config, services);

        bulwark::ServerOptions options;
        options.host = config.host;
        options.port = config.port;
        options.trusted_proxies = config.trusted_proxies;
        options.proxy_headers = config.proxy_headers;
        if (config.tls_cert) options.tls_certificate = config.tls_cert->string();
        if (config.tls_key) options.tls_private_key = config.tls_key->string();
        options.on_listening = [&](std::uint16_t port) {
            std::fprintf(stderr, "@NAME@: listening on %s:%u\n", options.host.c_str(), port);
        };
        app.run(options);
    } catch (const bulwark::ConfigError& e) {
        std::fprintf(stderr, "@NAME@: refusing to start: %s\n", e.what());
        return 2;
    }
    return 0;
}
)";

constexpr std::string_view kTestCpp =
    R"(// The app in process, through the whole pipeline, with bulwark::testing::TestClient.
#include "app.hpp"

#include <bulwark/crypto.hpp>
#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <filesystem>

namespace {

// TempInstance: a throwaway instance folder (development makes its key there), removed after.
struct TempInstance {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("@NAME@-test-" + bulwark::crypto::random_token(8));
    ~TempInstance() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

TEST(App, HomePageIsServedWithSecureHeaders) {
    TempInstance instance;
    const auto config = bulwark::Config::from_map({{"BULWARK_INSTANCE_DIR", instance.dir.string()}});
    auto services = bulwark::pipeline::make_services(config);
    bulwark::App app;
    @NS@::build(app, config, services);
    bulwark::testing::TestClient client(app);

    const auto home = client.get("/");
    EXPECT_EQ(home.status, 200);
    EXPECT_NE(home.body.find("Hello from @NAME@"), std::string::npos);
    EXPECT_TRUE(home.header("Content-Security-Policy").has_value());
    EXPECT_EQ(home.header("X-Content-Type-Options").value_or(""), "nosniff");
    EXPECT_EQ(client.get("/no-such-page").status, 404);
}

}  // namespace
)";

constexpr std::string_view kEnvExample =
    R"(# Copy to .env and fill in; .env is never committed (.gitignore keeps it out).
# Development needs none of this: Bulwark makes a development key in ./instance on first run.

# BULWARK_ENV=production
# SECRET_KEY: production refuses to start without one. Make it when you need it, with
#   bulwark gen-secret
# and paste the output after the '=' (never commit it, never reuse it between apps).
# SECRET_KEY=
# BULWARK_HOST=127.0.0.1
# BULWARK_PORT=8080
# DATABASE_URL=sqlite:///absolute/path/to/@NAME@.db
# TRUSTED_PROXIES=127.0.0.1
)";

constexpr std::string_view kGitignore = R"(# Secrets and local data never go into git.
.env
instance/
build/
)";

constexpr std::string_view kReadme = R"(# @NAME@

A web app on Bulwark, the security-first C++20
web framework: secure headers with a CSP nonce, CSRF checks, sessions, rate limits and an HTTPS
redirect in production are on by default (`src/app.cpp` installs them).

## Build, test, run
```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=/where/bulwark/is/installed
cmake --build build -j2
ctest --test-dir build --output-on-failure
./build/@NAME@                 # http://127.0.0.1:8080/
```

## Settings
From the environment, then `./.env` (see `.env.example`). Development needs none; the secret
key is made in `./instance` on first run. For production set `BULWARK_ENV=production` and a
`SECRET_KEY` from `bulwark gen-secret`, serve over TLS (`BULWARK_TLS_CERT`, `BULWARK_TLS_KEY`)
or behind a proxy named in `TRUSTED_PROXIES`, and check the running site with
`bulwark audit https://your.site/`.

## Layout
- `src/app.cpp`: the routes; `src/main.cpp`: the server.
- `tests/app_test.cpp`: the app in process with `bulwark::testing::TestClient`.
)";

std::string fill(std::string_view text, std::string_view name) {
    std::string ns(name);
    for (auto& c : ns)
        if (c == '-') c = '_';
    std::string out(text);
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"@NAME@", std::string(name)}, {"@NS@", ns}})
        for (auto at = out.find(key); at != std::string::npos;
             at = out.find(key, at + value.size()))
            out.replace(at, key.size(), value);
    return out;
}

}  // namespace

bool valid_project_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > 40 || !(name.front() >= 'a' && name.front() <= 'z'))
        return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    // CMake reserves these target names, and `test` would clash with CTest's own target.
    for (std::string_view reserved : {"all", "test", "install", "clean", "help", "package"})
        if (name == reserved) return false;
    return true;
}

int new_project(const std::string& dir, const std::string& name_flag) {
    const fs::path root = fs::path(dir).lexically_normal();
    std::string name = name_flag;
    if (name.empty()) {
        name = (root.has_filename() ? root.filename() : root.parent_path().filename()).string();
        if (name == "." || name == "..")
            name = fs::absolute(root).lexically_normal().filename().string();
    }
    if (!valid_project_name(name)) {
        std::fprintf(stderr,
                     "bulwark: the project name must be 1 to 40 of [a-z0-9_-], starting with a "
                     "letter (not a CMake "
                     "reserved name); give --name\n");
        return 1;
    }
    std::error_code ec;
    if (fs::exists(root, ec)) {
        if (!fs::is_directory(root, ec)) {
            std::fprintf(stderr, "bulwark: %s exists and is not a folder\n",
                         printable(dir).c_str());
            return 1;
        }
        if (!fs::is_empty(root, ec) || ec) {
            std::fprintf(stderr, "bulwark: %s is not empty; refusing to overwrite anything in it\n",
                         printable(dir).c_str());
            return 1;
        }
    }
    const std::vector<std::pair<std::string, std::string_view>> files{
        {"CMakeLists.txt", kCMakeLists},  {"src/app.hpp", kAppHpp},
        {"src/app.cpp", kAppCpp},         {"src/main.cpp", kMainCpp},
        {"tests/app_test.cpp", kTestCpp}, {".env.example", kEnvExample},
        {".gitignore", kGitignore},       {"README.md", kReadme}};
    for (const auto& [relative, text] : files) {
        const fs::path path = root / relative;
        fs::create_directories(path.parent_path(), ec);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << fill(text, name);
        out.close();
        if (ec || !out) {
            std::fprintf(stderr, "bulwark: could not write %s\n", printable(path.string()).c_str());
            return 1;
        }
    }
    std::printf("created %s in %s\n", name.c_str(), printable(dir).c_str());
    std::printf(
        "next: cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=<bulwark prefix> && cmake --build "
        "%s/build\n",
        printable(dir).c_str(), printable(dir).c_str(), printable(dir).c_str());
    return 0;
}

}  // namespace bulwark::cli
