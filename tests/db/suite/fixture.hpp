// fixture.hpp: one test fixture for both backends. The same TEST_P cases run on SQLite
// (test_db, a fresh file per test) and on PostgreSQL (test_db_integration, a fresh schema
// `db_test_<pid>_<n>` per test, selected through the URL's search_path option).
#pragma once

#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include "support/test_env.hpp"

#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace bulwark::db::testing {

inline std::string unique_suffix() {
    static std::atomic<int> counter{0};
    return std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

// backends_under_test: {"sqlite"} in test_db, {"postgresql"} in test_db_integration; each
// executable defines it, and every suite file instantiates its fixtures with it.
std::vector<std::string> backends_under_test();

class DbBackend : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqlite") {
            dir_ = std::filesystem::temp_directory_path() / ("bulwark_db_test_" + unique_suffix());
            std::filesystem::create_directories(dir_);
            url_ = "sqlite://" + (dir_ / "test.db").string();
        } else {
            BULWARK_SERVICE_URL_OR_SKIP(base, "BULWARK_TEST_DATABASE_URL");
            base_url_ = base;
            schema_ = "db_test_" + unique_suffix();
            auto admin = Database::open(base_url_);
            ASSERT_TRUE(admin) << admin.error().diagnostic_for_log();
            // Test set-up names a schema of its own making: trusted, not input.
            ASSERT_TRUE(admin->execute_trusted_script("CREATE SCHEMA " + schema_));
            url_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") +
                   "options=-csearch_path%3D" + schema_;
        }
        auto db = Database::open(url_, options());
        ASSERT_TRUE(db) << db.error().diagnostic_for_log();
        db_.emplace(std::move(*db));
    }

    void TearDown() override {
        db_.reset();
        if (!schema_.empty()) {
            auto admin = Database::open(base_url_);
            if (admin) (void)admin->execute_trusted_script("DROP SCHEMA " + schema_ + " CASCADE");
        }
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    virtual Options options() const { return {}; }
    bool pg() const { return GetParam() == "postgresql"; }
    Database& db() { return *db_; }

    std::string url_;
    std::string base_url_;
    std::string schema_;
    std::filesystem::path dir_;
    std::optional<Database> db_;
};

}  // namespace bulwark::db::testing
