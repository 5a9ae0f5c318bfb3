// The bulwark command's data subcommands (api-key, db, create-user), run as the real binary
// against a fresh instance folder, and checked against the reference app in process: a key
// the command prints must open GET /api/data until it is revoked, a user it creates must log in.
#include "run_cli.hpp"

#include "reference_app.hpp"

#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <thread>

namespace {

using bulwark::Headers;
using bulwark::testing::TestClient;
using cli_test::Instance;
using cli_test::Run;

const std::string kPassword = "correct horse battery staple 42";
const std::regex kKeyLine(R"(^bk_([A-Za-z0-9]{12})_[A-Za-z0-9]{38}\n$)");

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string describe(const Run& r) { return "status " + std::to_string(r.status) + "\nstdout: " + r.out + "\nstderr: " + r.err; }

// ReferenceApp: the app `serve` would run on the same settings, in process.
struct ReferenceApp {
    bulwark::Config config;
    bulwark::App app;
    explicit ReferenceApp(const Instance& instance) : config(bulwark::Config::from_map(instance.vars())) {
        reference::build(app, config);
    }
    int data_status(const std::string& key) {
        TestClient c(app);
        Headers h;
        h.set("X-API-Key", key);
        return c.get("/api/data", h).status;
    }
    int login_status(const std::string& username, const std::string& password) {
        TestClient c(app);
        return c.post_json("/api/login", R"({"username": ")" + username + R"(", "password": ")" + password + R"("})")
            .status;
    }
};

bulwark::db::Database open_db(const Instance& instance) {
    auto db = bulwark::db::Database::open("sqlite://" + (instance.dir / "instance" / "bulwark.db").string());
    if (!db) throw std::runtime_error(db.error().diagnostic_for_log());
    return std::move(*db);
}

std::string create_key(const Instance& instance, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"api-key", "create", "--name", "ci"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = instance.run(args);
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_TRUE(std::regex_match(r.out, kKeyLine)) << r.out;
    return r.out.empty() ? std::string() : r.out.substr(0, r.out.size() - 1);
}

std::string line_of(const std::string& text, const std::string& part) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (contains(line, part)) return line;
    return {};
}

long timestamps_in(const std::string& line) {
    static const std::regex time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
    return std::distance(std::sregex_iterator(line.begin(), line.end(), time), std::sregex_iterator());
}

// --- api-key -------------------------------------------------------------------------------

TEST(ApiKey, CreateListAuthenticateRevoke) {
    Instance instance;
    auto created = instance.run({"api-key", "create", "--name", "ci deploy", "--scopes", "data:read,data:write"});
    ASSERT_EQ(created.status, 0) << describe(created);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(created.out, m, kKeyLine)) << created.out;
    const std::string key = created.out.substr(0, created.out.size() - 1);
    const std::string id = m[1].str();
    const std::string secret = key.substr(3 + 12 + 1);
    EXPECT_TRUE(contains(created.err, "shown once"));
    EXPECT_FALSE(contains(created.err, secret)) << "the key goes to stdout only";

    auto list = instance.run({"api-key", "list"});
    ASSERT_EQ(list.status, 0) << describe(list);
    const auto row = line_of(list.out, id);
    ASSERT_FALSE(row.empty()) << list.out;
    EXPECT_TRUE(contains(row, "ci deploy"));
    EXPECT_TRUE(contains(row, "service"));
    EXPECT_TRUE(contains(row, "data:read,data:write"));
    EXPECT_EQ(timestamps_in(row), 2) << "created and expires (90d by default): " << row;
    EXPECT_FALSE(contains(list.out + list.err, secret));
    EXPECT_FALSE(std::regex_search(list.out, std::regex("[0-9a-f]{64}"))) << "no hash is printed";

    ReferenceApp app(instance);
    EXPECT_EQ(app.data_status(key), 200);
    EXPECT_EQ(timestamps_in(line_of(instance.run({"api-key", "list"}).out, id)), 3) << "last used is recorded";

    auto revoked = instance.run({"api-key", "revoke", id});
    ASSERT_EQ(revoked.status, 0) << describe(revoked);
    EXPECT_TRUE(contains(revoked.out, "revoked API key " + id));
    EXPECT_EQ(app.data_status(key), 401) << "the running app refuses a revoked key at once";
    EXPECT_EQ(timestamps_in(line_of(instance.run({"api-key", "list"}).out, id)), 4);

    auto again = instance.run({"api-key", "revoke", id});
    EXPECT_EQ(again.status, 0) << describe(again);
    EXPECT_TRUE(contains(again.out, "already revoked"));
}

TEST(ApiKey, RevokeRefusals) {
    Instance instance;
    const std::string key = create_key(instance);
    ASSERT_FALSE(key.empty());
    struct Case {
        std::string name;
        std::string id;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"unknown_id", "AAAAAAAAAAAA", "no API key has the id AAAAAAAAAAAA"},
        {"whole_key_pasted", key, "12 letters and digits"},
        {"too_short", "abc", "12 letters and digits"},
        {"shell_text", "abcdefghij;x", "12 letters and digits"},
        {"terminal_escape", "\x1b[31mAAAAAAAA", "12 letters and digits"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = instance.run({"api-key", "revoke", c.id});
        EXPECT_EQ(r.status, 1) << describe(r);
        EXPECT_TRUE(contains(r.err, c.message)) << r.err;
        EXPECT_FALSE(contains(r.err, key.substr(16))) << "a pasted key is never echoed";
        EXPECT_FALSE(contains(r.err, "\x1b"));
    }
    ReferenceApp app(instance);
    EXPECT_EQ(app.data_status(key), 200) << "nothing was revoked";
}

TEST(ApiKey, CreateRefusals) {
    Instance instance;
    struct Case {
        std::string name;
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"empty_name", {"--name", ""}, "--name"},
        {"control_in_name", {"--name", "a\x01" "b"}, "--name"},
        {"name_too_long", {"--name", std::string(65, 'n')}, "--name"},
        {"upper_case_scope", {"--name", "x", "--scopes", "Data:Read"}, "--scopes"},
        {"trailing_comma", {"--name", "x", "--scopes", "data:read,"}, "--scopes"},
        {"empty_scope", {"--name", "x", "--scopes", "data:read,,x"}, "--scopes"},
        {"zero_expiry", {"--name", "x", "--expires-in", "0d"}, "--expires-in"},
        {"unknown_unit", {"--name", "x", "--expires-in", "90x"}, "--expires-in"},
        {"negative_expiry", {"--name", "x", "--expires-in=-1d"}, "--expires-in"},
        {"expiry_over_ten_years", {"--name", "x", "--expires-in", "3651d"}, "--expires-in"},
        {"expiry_overflow", {"--name", "x", "--expires-in", "9999999d"}, "--expires-in"},
        {"bad_user_name", {"--name", "x", "--user", "a b"}, "--user"},
        {"unknown_user", {"--name", "x", "--user", "nobody_here"}, "no user is named nobody_here"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::vector<std::string> args{"api-key", "create"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        auto r = instance.run(args);
        EXPECT_EQ(r.status, 1) << describe(r);
        EXPECT_EQ(r.out, "") << "no key is printed";
        EXPECT_TRUE(contains(r.err, c.message)) << r.err;
    }
    auto list = instance.run({"api-key", "list"});
    EXPECT_EQ(list.status, 0);
    EXPECT_TRUE(contains(list.err, "0 keys")) << list.err;
}

TEST(ApiKey, ExpiryAndOwner) {
    Instance instance;
    ASSERT_EQ(instance.run({"create-user", "alice_1", "--email", "alice@example.com"}, kPassword + "\n").status, 0);
    struct Case {
        std::string name;
        std::vector<std::string> args;
        std::optional<std::int64_t> lifetime;
        std::string owner;
    };
    const std::vector<Case> cases = {
        {"default_90_days", {}, 90 * 86400, "service"},
        {"one_day", {"--expires-in", "1d"}, 86400, "service"},
        {"twelve_hours", {"--expires-in", "12h"}, 12 * 3600, "service"},
        {"never", {"--expires-in", "never"}, std::nullopt, "service"},
        {"for_a_user", {"--user", "alice_1"}, 90 * 86400, "alice_1"},
    };
    auto db = open_db(instance);
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::smatch m;
        const std::string line = create_key(instance, c.args) + "\n";
        ASSERT_TRUE(std::regex_match(line, m, kKeyLine));
        auto row = db.query("SELECT owner, created_at, expires_at FROM api_keys WHERE id = ?", m[1].str());
        ASSERT_TRUE(row && row->size() == 1);
        const auto& r = row->front();
        EXPECT_EQ(r.get<std::string>("owner"), c.owner);
        const auto expires = r.get<std::optional<std::int64_t>>("expires_at");
        ASSERT_EQ(expires.has_value(), c.lifetime.has_value());
        if (expires) {
            EXPECT_EQ(*expires - r.get<std::int64_t>("created_at"), *c.lifetime);
        }
    }
}

TEST(ApiKey, ExpiredKeyIsRefused) {
    Instance instance;
    const std::string key = create_key(instance, {"--expires-in", "1s"});
    ReferenceApp app(instance);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    EXPECT_EQ(app.data_status(key), 401);
}

// --- db ------------------------------------------------------------------------------------

std::vector<std::string> migration_names(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".sql") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

const std::filesystem::path kSqliteMigrations =
    std::filesystem::path(BULWARK_SOURCE_DIR) / "apps" / "reference" / "migrations" / "sqlite";

TEST(Db, UpgradeAppliesOnceThenNothing) {
    Instance instance;
    const auto names = migration_names(kSqliteMigrations);
    ASSERT_GE(names.size(), 4u);
    std::string expected;
    for (const auto& n : names) expected += "applied " + n + "\n";

    auto status = instance.run({"db", "status"});
    EXPECT_EQ(status.status, 1) << describe(status);
    EXPECT_TRUE(contains(status.out, "pending")) << status.out;

    auto first = instance.run({"db", "upgrade"});
    EXPECT_EQ(first.status, 0) << describe(first);
    EXPECT_EQ(first.out, expected);
    auto second = instance.run({"db", "upgrade"});
    EXPECT_EQ(second.status, 0) << describe(second);
    EXPECT_EQ(second.out, "nothing to apply: " + std::to_string(names.size()) + " migrations already applied\n");

    status = instance.run({"db", "status"});
    EXPECT_EQ(status.status, 0) << describe(status);
    EXPECT_TRUE(contains(status.out, "up to date"));
    EXPECT_FALSE(contains(status.out, "pending"));
}

TEST(Db, UpgradeAppliesOnlyTheNewFile) {
    Instance instance;
    const auto ref = instance.dir / "ref";
    std::filesystem::create_directories(ref / "migrations");
    std::filesystem::copy(kSqliteMigrations, ref / "migrations" / "sqlite");
    instance.env["BULWARK_REFERENCE_DIR"] = ref.string();
    ASSERT_EQ(instance.run({"db", "upgrade"}).status, 0);
    const std::string next = [&] {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%04zu_cli_extra", migration_names(kSqliteMigrations).size() + 1);
        return std::string(buf);
    }();
    {
        std::ofstream extra(ref / "migrations" / "sqlite" / (next + ".sql"));
        extra << "CREATE TABLE cli_extra (id INTEGER PRIMARY KEY);\n";
    }
    auto status = instance.run({"db", "status"});
    EXPECT_EQ(status.status, 1);
    EXPECT_TRUE(contains(status.out, "pending") && contains(line_of(status.out, "pending"), next)) << status.out;
    auto r = instance.run({"db", "upgrade"});
    EXPECT_EQ(r.status, 0) << describe(r);
    EXPECT_EQ(r.out, "applied " + next + "\n");
}

TEST(Db, DifferingHistoryIsRefused) {
    struct Case {
        std::string name;
        std::string tamper;  // trusted test SQL run on a fully migrated database
        std::string number;
        std::string status_word;
    };
    std::vector<Case> cases = {
        {"changed_file", "UPDATE bulwark_migrations SET checksum = '00' WHERE number = 2", "0002", "CHANGED"},
        {"renamed_file", "UPDATE bulwark_migrations SET name = '0003_renamed' WHERE number = 3", "0003", "MISSING"},
        {"file_removed", "", "", "MISSING"},
    };
    // file_removed: a recorded migration just past the last file, whatever that number is now.
    const auto gone = migration_names(kSqliteMigrations).size() + 1;
    char number[8];
    std::snprintf(number, sizeof number, "%04zu", gone);
    cases.back().tamper = "INSERT INTO bulwark_migrations VALUES (" + std::to_string(gone) + ", '" + number + "_gone', 'ab', 0)";
    cases.back().number = number;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Instance instance;
        ASSERT_EQ(instance.run({"db", "upgrade"}).status, 0);
        ASSERT_TRUE(open_db(instance).execute_trusted_script(c.tamper));
        auto r = instance.run({"db", "upgrade"});
        EXPECT_EQ(r.status, 1) << describe(r);
        EXPECT_EQ(r.out, "");
        EXPECT_TRUE(contains(r.err, "refusing to upgrade")) << r.err;
        EXPECT_TRUE(contains(r.err, c.number)) << r.err;
        auto status = instance.run({"db", "status"});
        EXPECT_EQ(status.status, 1);
        EXPECT_TRUE(contains(status.out, c.status_word)) << status.out;
        EXPECT_TRUE(contains(status.out, "differs")) << status.out;
        // The other data commands upgrade first, so they refuse too and print no key.
        auto key = instance.run({"api-key", "create", "--name", "x"});
        EXPECT_EQ(key.status, 1);
        EXPECT_EQ(key.out, "");
    }
}

// --- create-user ---------------------------------------------------------------------------

TEST(CreateUser, CreatedUserLogsIn) {
    Instance instance;
    auto r = instance.run({"create-user", "alice_1", "--email", "alice@example.com"}, kPassword + "\n");
    ASSERT_EQ(r.status, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "created user alice_1"));
    EXPECT_FALSE(contains(r.out + r.err, kPassword));
    auto stored = open_db(instance).one<std::string>("SELECT password_hash FROM users WHERE username = ?",
                                                     std::string("alice_1"));
    ASSERT_TRUE(stored && *stored);
    EXPECT_TRUE((*stored)->starts_with("$argon2id$")) << "argon2id, not the password";

    ReferenceApp app(instance);
    EXPECT_EQ(app.login_status("alice_1", kPassword), 200);
    EXPECT_EQ(app.login_status("alice_1", kPassword + "x"), 401);
}

TEST(CreateUser, Refusals) {
    Instance instance;
    ASSERT_EQ(instance.run({"create-user", "bob_2", "--email", "bob@example.com"}, kPassword + "\n").status, 0);
    struct Case {
        std::string name;
        std::string username;
        std::string email;
        std::string password;
        std::string message;
    };
    const std::vector<Case> cases = {
        {"duplicate_username", "bob_2", "other@example.com", kPassword, "already taken"},
        {"username_too_short", "ab", "a@example.com", kPassword, "3 to 20"},
        {"username_too_long", std::string(21, 'u'), "a@example.com", kPassword, "3 to 20"},
        {"username_with_space", "bad name", "a@example.com", kPassword, "3 to 20"},
        {"username_sql", "x';DROP TABLE users;--", "a@example.com", kPassword, "3 to 20"},
        {"username_unicode", "\xc3\xa9l\xc3\xa8ve", "a@example.com", kPassword, "3 to 20"},
        {"bad_email", "carol_3", "not-an-email", kPassword, "--email"},
        {"email_with_newline", "carol_3", "a@example.com\nBcc: x@example.com", kPassword, "--email"},
        {"password_too_short", "carol_3", "carol@example.com", "Sh0rt!", "password refused"},
        {"password_common", "carol_3", "carol@example.com", "passwordpassword", "password refused"},
        {"password_is_username", "carol_3456789", "carol@example.com", "carol_3456789carol_3456789", "password refused"},
        {"password_empty", "carol_3", "carol@example.com", "", "password"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = instance.run({"create-user", c.username, "--email", c.email}, c.password + "\n");
        EXPECT_EQ(r.status, 1) << describe(r);
        EXPECT_TRUE(contains(r.err, c.message)) << r.err;
        if (!c.password.empty()) {
            EXPECT_FALSE(contains(r.out + r.err, c.password)) << "the password is never printed";
        }
    }
    auto count = open_db(instance).one<std::int64_t>("SELECT count(*) FROM users");
    ASSERT_TRUE(count && *count);
    EXPECT_EQ(**count, 1) << "only bob_2 exists";
    ReferenceApp app(instance);
    EXPECT_EQ(app.login_status("bob_2", kPassword), 200) << "the duplicate did not replace the first password";
}

}  // namespace
