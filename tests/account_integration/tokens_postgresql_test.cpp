// account::Tokens on PostgreSQL (BULWARK_TEST_DATABASE_URL): the same suite as on SQLite, in a
// schema of its own that is dropped when the run ends. Its concurrency case is the one that
// matters most here: consumers on separate connections race for one row.
#include "account/token_suite.hpp"
#include "support/test_env.hpp"

#include <stdexcept>

namespace account_test {
namespace {

std::string url_with_schema(const std::string& url, const std::string& schema) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

// Schema: created on first use, dropped by the environment's TearDown.
struct Schema {
    std::string name = "bk_account_" + crypto::hex_encode(crypto::random_bytes(6));
    std::optional<db::Database> admin;
    bool created = false;
};
Schema& schema() {
    static Schema s;
    return s;
}

class DropSchema : public ::testing::Environment {
public:
    void TearDown() override {
        auto& s = schema();
        if (s.admin && s.created) (void)s.admin->execute_trusted_script("DROP SCHEMA IF EXISTS " + s.name + " CASCADE");
    }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new DropSchema);

}  // namespace

std::optional<db::Database> make_database() {
    const auto url = bulwark::testing_env::service_url("BULWARK_TEST_DATABASE_URL");
    if (url.empty()) {
        if (bulwark::testing_env::services_required()) throw std::runtime_error("BULWARK_TEST_DATABASE_URL is not set");
        return std::nullopt;
    }
    auto& s = schema();
    if (!s.created) {
        auto admin = db::Database::open(url);
        if (!admin) throw std::runtime_error("open postgresql: " + admin.error().diagnostic_for_log());
        s.admin = std::move(*admin);
        if (auto r = s.admin->execute_trusted_script("CREATE SCHEMA " + s.name); !r)
            throw std::runtime_error("create schema: " + r.error().diagnostic_for_log());
        s.created = true;
        auto d = db::Database::open(url_with_schema(url, s.name));
        if (!d) throw std::runtime_error("open schema: " + d.error().diagnostic_for_log());
        if (auto r = d->execute_trusted_script(account::schema(db::Backend::postgresql)); !r)
            throw std::runtime_error("account schema: " + r.error().diagnostic_for_log());
    }
    auto d = db::Database::open(url_with_schema(url, s.name));
    if (!d) throw std::runtime_error("open schema: " + d.error().diagnostic_for_log());
    if (auto r = d->execute("DELETE FROM account_tokens"); !r)
        throw std::runtime_error("clear: " + r.error().diagnostic_for_log());
    return std::move(*d);
}

TEST(AccountPostgresql, RunsOnPostgresql) {
    auto d = make_database();
    if (!d) GTEST_SKIP() << "BULWARK_TEST_DATABASE_URL is not set";
    EXPECT_EQ(d->backend(), db::Backend::postgresql);
}

}  // namespace account_test
