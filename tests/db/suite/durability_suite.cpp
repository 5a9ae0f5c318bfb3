// durability_suite.cpp: an acknowledged write survives kill -9, and migrations keep history.
#include "fixture.hpp"

#include <bulwark/crypto.hpp>

#include <csignal>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <set>
#include <sys/wait.h>

namespace bulwark::db::testing {
namespace {

using namespace std::chrono_literals;

class Durability : public DbBackend {};

// writer_child inserts rows forever, writing each id to `fd` only after the INSERT returned.
[[noreturn]] void writer_child(const std::string& url, int fd) {
    auto db = Database::open(url);
    if (!db) _exit(2);
    for (int i = 0; i < 1'000'000; ++i) {
        auto id = db->insert_returning_id("INSERT INTO acked (payload) VALUES (?) RETURNING id", "row");
        if (!id) _exit(3);
        const std::int64_t v = *id;
        if (write(fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) _exit(4);
    }
    _exit(0);
}

TEST_P(Durability, AcknowledgedInsertsSurviveSigkill) {
    ASSERT_TRUE(db().execute(pg() ? Sql("CREATE TABLE acked (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)")
                                  : Sql("CREATE TABLE acked (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL)")));
    for (int round = 0; round < 3; ++round) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        const auto delay = std::chrono::milliseconds(50 + crypto::random_uniform(400));
        SCOPED_TRACE("kill after " + std::to_string(delay.count()) + " ms");
        const pid_t child = fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            close(fds[0]);
            writer_child(url_, fds[1]);
        }
        close(fds[1]);
        std::vector<std::int64_t> acked;
        std::string pending;
        auto drain = [&](int timeout_ms) {
            pollfd p{fds[0], POLLIN, 0};
            if (poll(&p, 1, timeout_ms) <= 0) return false;
            char buf[4096];
            const ssize_t n = read(fds[0], buf, sizeof buf);
            if (n <= 0) return false;
            pending.append(buf, static_cast<std::size_t>(n));
            while (pending.size() >= sizeof(std::int64_t)) {
                std::int64_t v;
                std::memcpy(&v, pending.data(), sizeof v);
                acked.push_back(v);
                pending.erase(0, sizeof v);
            }
            return true;
        };
        // The random moment counts from the first acknowledgement, so a slow connect
        // (a loaded machine) cannot turn the test into "killed before it wrote anything".
        const auto first_by = std::chrono::steady_clock::now() + 20s;
        while (acked.empty() && std::chrono::steady_clock::now() < first_by) drain(50);
        const auto deadline = std::chrono::steady_clock::now() + delay;
        while (std::chrono::steady_clock::now() < deadline) drain(5);
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);
        while (drain(0)) {
        }
        close(fds[0]);
        ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself, status " << status;
        EXPECT_FALSE(acked.empty()) << "the writer acknowledged nothing before the kill";

        auto ids = db().query_as<std::int64_t>("SELECT id FROM acked");
        ASSERT_TRUE(ids) << ids.error().diagnostic_for_log();
        const std::set<std::int64_t> present(ids->begin(), ids->end());
        std::size_t lost = 0;
        for (std::int64_t id : acked) lost += present.count(id) == 0;
        EXPECT_EQ(lost, 0u) << "of " << acked.size() << " acknowledged";
    }
}

TEST_P(Durability, StatementTimeout) {
    Options o;
    o.statement_timeout = 100ms;
    auto quick = Database::open(url_, o);
    ASSERT_TRUE(quick);
    const auto start = std::chrono::steady_clock::now();
    auto r = quick->query(pg() ? Sql("SELECT pg_sleep(5)")
                               : Sql("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
                                     "SELECT COUNT(*) FROM c"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::timeout) << r.error().diagnostic_for_log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_TRUE(quick->query("SELECT 1"));  // the connection is still usable
}

class Migrations : public DbBackend {
protected:
    void write(const std::string& file, const std::string& text) {
        std::filesystem::create_directories(mdir());
        std::ofstream(mdir() / file, std::ios::binary) << text;
    }
    std::filesystem::path mdir() {
        if (mdir_.empty()) mdir_ = std::filesystem::temp_directory_path() / ("bulwark_mig_" + unique_suffix());
        return mdir_;
    }
    void TearDown() override {
        std::error_code ec;
        if (!mdir_.empty()) std::filesystem::remove_all(mdir_, ec);
        DbBackend::TearDown();
    }
    std::int64_t history() { return **db().one<std::int64_t>("SELECT COUNT(*) FROM bulwark_migrations"); }
    std::filesystem::path mdir_;
};

TEST_P(Migrations, ApplyInOrderOnceAndRefuseChangedHistory) {
    write("0001_create_notes.sql", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL);\n");
    write("0002_add_tags.sql", "-- two statements\nCREATE TABLE tags (id BIGINT PRIMARY KEY);\nINSERT INTO tags VALUES (1);\n");
    write("README.md", "not a migration");
    auto first = migrate(db(), mdir());
    ASSERT_TRUE(first) << migrate_error_name(first.error().code) << first.error().database.diagnostic_for_log();
    EXPECT_EQ(first->applied, (std::vector<std::string>{"0001_create_notes", "0002_add_tags"}));
    auto again = migrate(db(), mdir());
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->applied.empty());
    EXPECT_EQ(again->already_applied, 2u);

    write("0003_more.sql", "CREATE TABLE more_things (id BIGINT);");
    write("0002_add_tags.sql", "CREATE TABLE tags (id BIGINT PRIMARY KEY); -- edited\n");
    auto tampered = migrate(db(), mdir());
    ASSERT_FALSE(tampered);
    EXPECT_EQ(tampered.error().code, MigrateErrorCode::checksum_mismatch);
    EXPECT_EQ(tampered.error().number, 2);
    EXPECT_EQ(history(), 2);  // 0003 did not run

    std::filesystem::remove(mdir() / "0002_add_tags.sql");
    auto gap = migrate(db(), mdir());
    ASSERT_FALSE(gap);
    EXPECT_EQ(gap.error().code, MigrateErrorCode::gap);

    write("0002_renamed.sql", "CREATE TABLE tags (id BIGINT PRIMARY KEY);");
    auto renamed = migrate(db(), mdir());
    ASSERT_FALSE(renamed);
    EXPECT_EQ(renamed.error().code, MigrateErrorCode::missing_file);
}

TEST_P(Migrations, AFailingMigrationLeavesNothingBehind) {
    write("0001_ok.sql", "CREATE TABLE ok_table (id BIGINT);");
    write("0002_broken.sql", "CREATE TABLE half (id BIGINT);\nINSERT INTO no_such_table VALUES (1);\n");
    auto r = migrate(db(), mdir());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, MigrateErrorCode::failed);
    EXPECT_EQ(r.error().number, 2);
    EXPECT_EQ(history(), 1);
    EXPECT_FALSE(db().query("SELECT id FROM half"));  // rolled back with its record

    write("0002_broken.sql", "CREATE TABLE half (id BIGINT);\n");
    auto fixed = migrate(db(), mdir());
    ASSERT_TRUE(fixed);
    EXPECT_EQ(fixed->applied, std::vector<std::string>{"0002_broken"});
    EXPECT_TRUE(db().query("SELECT id FROM half"));
}

TEST_P(Migrations, BadDirectoriesAreRefusedBeforeAnythingRuns) {
    struct Case {
        const char* name;
        std::vector<std::pair<std::string, std::string>> files;
        MigrateErrorCode expected;
    };
    const Case cases[] = {
        {"short_number", {{"001_x.sql", "SELECT 1;"}}, MigrateErrorCode::bad_file_name},
        {"dash", {{"0001-x.sql", "SELECT 1;"}}, MigrateErrorCode::bad_file_name},
        {"upper_case", {{"0001_X.sql", "SELECT 1;"}}, MigrateErrorCode::bad_file_name},
        {"zero", {{"0000_x.sql", "SELECT 1;"}}, MigrateErrorCode::bad_file_name},
        {"duplicate", {{"0001_a.sql", "SELECT 1;"}, {"0001_b.sql", "SELECT 1;"}}, MigrateErrorCode::duplicate_number},
        {"gap", {{"0001_a.sql", "SELECT 1;"}, {"0003_c.sql", "SELECT 1;"}}, MigrateErrorCode::gap},
        {"not_from_one", {{"0002_b.sql", "SELECT 1;"}}, MigrateErrorCode::gap},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        std::error_code ec;
        std::filesystem::remove_all(mdir(), ec);
        for (const auto& [file, text] : c.files) write(file, text);
        auto r = migrate(db(), mdir());
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, c.expected);
    }
    auto missing = migrate(db(), mdir() / "does_not_exist");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, MigrateErrorCode::unreadable_directory);
}

INSTANTIATE_TEST_SUITE_P(On, Durability, ::testing::ValuesIn(backends_under_test()));
INSTANTIATE_TEST_SUITE_P(On, Migrations, ::testing::ValuesIn(backends_under_test()));

}  // namespace
}  // namespace bulwark::db::testing
