// POST /comment under write load, over loopback sockets (issue 12): many clients posting at once
// get 303 (stored) or 503 with Retry-After (not stored), never a 500, and the database holds
// exactly the comments that were answered 303. On SQLite, the default.
#include "fixture.hpp"
#include "support/raw_client.hpp"

#include <bulwark/db.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using bulwark::test_support::RawClient;
using bulwark::test_support::Reply;
using bulwark::test_support::RunningServer;
using bulwark::testing::TestClient;

namespace {

// LoggedIn: a session cookie and its CSRF token, made in process; the posts then go over sockets.
struct LoggedIn {
    std::string cookie_header;
    std::string csrf;
};

LoggedIn log_in(bulwark::App& app, const std::string& name) {
    TestClient c(app, "192.0.2.10");
    auto token = reference_test::token_in(c.get("/register").body);
    EXPECT_EQ(c.post_form("/register", {{"username", name}, {"email", name + "@example.com"},
                                        {"password", reference_test::kPassword}, {"csrf_token", token}})
                  .status,
              303);
    token = reference_test::token_in(c.get("/login").body);
    EXPECT_EQ(c.post_form("/login", {{"username", name}, {"password", reference_test::kPassword}, {"csrf_token", token}})
                  .status,
              303);
    LoggedIn out;
    out.csrf = reference_test::token_in(c.get("/comments").body);
    out.cookie_header = "Cookie: session=" + c.cookie("session").value_or("") + "\r\n";
    EXPECT_FALSE(out.csrf.empty());
    return out;
}

// post_comment: one POST on a fresh connection; it waits longer than exchange() would, since an
// answer may rightly take busy_timeout (5 s) to come.
Reply post_comment(std::uint16_t port, const LoggedIn& user, const std::string& text) {
    const std::string body = TestClient::form_encode({{"comment", text}, {"csrf_token", user.csrf}});
    RawClient client(port);
    client.send("POST /comment HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + user.cookie_header +
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + body);
    Reply r;
    r.raw = client.read_until_closed(std::chrono::seconds(20));
    if (r.raw.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(r.raw.substr(9, 3));
    return r;
}

std::int64_t comments_in(const reference_test::App& a) {
    auto db = bulwark::db::Database::open(a.config.database_url);
    if (!db) return -1;
    auto n = db->one<std::int64_t>("SELECT count(*) FROM comments");
    return n && *n ? **n : -1;
}

TEST(CommentLoad, ConcurrentPostsAreStoredOrRefusedWith503NeverA500) {
    reference_test::App a;
    const LoggedIn user = log_in(a.app, "loader");
    RunningServer server(a.app);
    constexpr int kClients = 32, kPostsEach = 8;
    std::mutex mutex;
    std::map<int, int> statuses;
    int without_retry_after = 0;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c)
        clients.emplace_back([&, c] {
            for (int i = 0; i < kPostsEach; ++i) {
                const Reply r = post_comment(server.port(), user, "comment " + std::to_string(c) + "/" + std::to_string(i));
                std::lock_guard lock(mutex);
                ++statuses[r.status];
                if (r.status == 503 && !r.header("Retry-After")) ++without_retry_after;
            }
        });
    for (auto& t : clients) t.join();
    server.stop();
    std::string summary;
    for (const auto& [status, n] : statuses) summary += std::to_string(status) + " x" + std::to_string(n) + " ";
    EXPECT_EQ(statuses[303] + statuses[503], kClients * kPostsEach) << summary;
    EXPECT_EQ(statuses[500], 0) << summary;
    EXPECT_EQ(without_retry_after, 0);
    EXPECT_GT(statuses[303], 0) << summary;
    EXPECT_EQ(comments_in(a), statuses[303]) << summary;
}

// Another process (here: another connection to the same file) holds SQLite's write lock past
// busy_timeout (5 s): the post is answered 503 with Retry-After, and succeeds once it is free.
TEST(CommentLoad, WriteLockHeldElsewhereGives503WithRetryAfter) {
    reference_test::App a;
    const LoggedIn user = log_in(a.app, "blocked");
    RunningServer server(a.app);
    auto other = bulwark::db::Database::open(a.config.database_url);
    ASSERT_TRUE(other);
    {
        auto tx = other->transaction();  // BEGIN IMMEDIATE: the write lock, held until the end of scope
        ASSERT_TRUE(tx);
        const Reply r = post_comment(server.port(), user, "while locked");
        EXPECT_EQ(r.status, 503) << r.raw.substr(0, 300);
        EXPECT_EQ(r.header("Retry-After").value_or(""), "1");
    }
    const Reply r = post_comment(server.port(), user, "after the lock");
    EXPECT_EQ(r.status, 303) << r.raw.substr(0, 300);
    server.stop();
    EXPECT_EQ(comments_in(a), 1);
}

}  // namespace
