// The bulwark command against PostgreSQL (BULWARK_TEST_DATABASE_URL): db upgrade, api-key
// create/revoke and create-user, each checked against the reference app in process on the same
// database. Everything lives in a schema of its own (`cli_test_<pid>_<n>`, through the URL's
// search_path option), dropped at the end, so runs never clash with other tests.
#include "run_cli.hpp"

#include "reference_app.hpp"
#include "support/test_env.hpp"

#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <regex>

namespace {

using bulwark::Headers;
using bulwark::testing::TestClient;

const std::string kPassword = "correct horse battery staple 42";

class PostgresCli : public ::testing::Test {
protected:
    void SetUp() override {
        BULWARK_SERVICE_URL_OR_SKIP(base, "BULWARK_TEST_DATABASE_URL");
        base_ = base;
        static int counter = 0;
        schema_ = "cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        auto admin = bulwark::db::Database::open(base_);
        ASSERT_TRUE(admin) << admin.error().diagnostic_for_log();
        // A schema name of the test's own making: trusted, not input.
        ASSERT_TRUE(admin->execute_trusted_script("CREATE SCHEMA " + schema_));
        instance_.env["DATABASE_URL"] =
            base_ + (base_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    }
    void TearDown() override {
        if (schema_.empty()) return;
        auto admin = bulwark::db::Database::open(base_);
        if (admin) (void)admin->execute_trusted_script("DROP SCHEMA " + schema_ + " CASCADE");
    }

    std::string base_, schema_;
    cli_test::Instance instance_;
};

TEST_F(PostgresCli, UpgradeKeysAndUsers) {
    auto first = instance_.run({"db", "upgrade"});
    ASSERT_EQ(first.status, 0) << first.err;
    EXPECT_TRUE(first.out.starts_with("applied 0001_")) << first.out;
    auto second = instance_.run({"db", "upgrade"});
    EXPECT_EQ(second.status, 0) << second.err;
    EXPECT_TRUE(second.out.starts_with("nothing to apply")) << second.out;
    auto status = instance_.run({"db", "status"});
    EXPECT_EQ(status.status, 0) << status.out << status.err;
    EXPECT_TRUE(status.out.find("postgresql") != std::string::npos);
    EXPECT_TRUE(status.out.find(schema_) == std::string::npos) << "the URL is never printed";

    auto created = instance_.run({"api-key", "create", "--name", "pg"});
    ASSERT_EQ(created.status, 0) << created.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(created.out, m, std::regex(R"(^bk_([A-Za-z0-9]{12})_[A-Za-z0-9]{38}\n$)")));
    const std::string key = created.out.substr(0, created.out.size() - 1);
    auto user = instance_.run({"create-user", "pg_user", "--email", "pg@example.com"}, kPassword + "\n");
    ASSERT_EQ(user.status, 0) << user.err;
    auto duplicate = instance_.run({"create-user", "pg_user", "--email", "pg@example.com"}, kPassword + "\n");
    EXPECT_EQ(duplicate.status, 1);
    EXPECT_NE(duplicate.err.find("already taken"), std::string::npos) << duplicate.err;

    bulwark::App app;
    reference::build(app, bulwark::Config::from_map(instance_.vars()));
    TestClient c(app);
    Headers h;
    h.set("X-API-Key", key);
    EXPECT_EQ(c.get("/api/data", h).status, 200);
    EXPECT_EQ(c.post_json("/api/login", R"({"username": "pg_user", "password": ")" + kPassword + R"("})").status, 200);

    auto revoked = instance_.run({"api-key", "revoke", m[1].str()});
    EXPECT_EQ(revoked.status, 0) << revoked.err;
    EXPECT_EQ(c.get("/api/data", h).status, 401);
}

}  // namespace
