// A reference app on a fresh instance folder and SQLite database, driven in process.
#pragma once

#include "reference_app.hpp"

#include <bulwark/crypto.hpp>
#include <bulwark/testing.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>

namespace reference_test {

inline const std::string kWebhookSecret = "whsec-test-0123456789abcdef0123456789abcdef";
inline const std::string kPassword = "correct horse battery staple 42";

struct App {
    std::filesystem::path dir;
    bulwark::Config config;
    bulwark::App app;

    static std::filesystem::path fresh_dir() {
        auto d = std::filesystem::temp_directory_path() / ("bulwark-reference-" + bulwark::crypto::random_token(8));
        std::filesystem::create_directories(d);
        return d;
    }
    explicit App(std::map<std::string, std::string> extra = {})
        : dir(fresh_dir()), config(make_config(dir, std::move(extra))) {
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
