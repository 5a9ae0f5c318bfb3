// logger_test.cpp: Logger with the memory and file sinks, reopen for logrotate, threads, counts,
// and the rate guard.
#include <bulwark/audit.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace audit = bulwark::audit;
namespace json = boost::json;
using audit::Event;

namespace {

std::chrono::system_clock::time_point fixed_now() {
    return std::chrono::system_clock::time_point{std::chrono::milliseconds{1735787045678}};
}

std::vector<std::string> read_lines(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/bulwark-audit-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST(AuditLogger, WritesOneLinePerEventToTheSink) {
    auto sink = std::make_shared<audit::MemorySink>();
    audit::Logger log{sink, {.app = "shop", .now = fixed_now}};
    log.log(Event::authn_login_success, {"r1", "198.51.100.1", "bob"});
    log.log(Event::authz_fail, {"r2", "198.51.100.2", ""}, {{"resource", "/admin"}});
    const auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0],
              R"({"time":"2025-01-02T03:04:05.678Z","app":"shop","event":"authn_login_success",)"
              R"("level":"INFO","request_id":"r1","client":"198.51.100.1","user":"bob"})"
              "\n");
    auto second = json::parse(lines[1]).as_object();
    EXPECT_EQ(second.at("level").as_string(), "CRITICAL");
    EXPECT_EQ(second.at("fields").at("resource").as_string(), "/admin");
}

TEST(AuditLogger, CountsPerEvent) {
    auto sink = std::make_shared<audit::MemorySink>();
    audit::Logger log{sink};
    for (int i = 0; i < 3; ++i) log.log(Event::authn_login_fail, {});
    log.log(Event::malicious_csrf, {});
    EXPECT_EQ(log.count(Event::authn_login_fail), 3u);
    EXPECT_EQ(log.count(Event::malicious_csrf), 1u);
    EXPECT_EQ(log.count(Event::authz_fail), 0u);
    const auto counts = log.counts();
    EXPECT_EQ(counts[static_cast<std::size_t>(Event::authn_login_fail)], 3u);
    EXPECT_EQ(log.count(static_cast<Event>(9999)), 0u);
    log.log(static_cast<Event>(9999), {});  // out of range: ignored, not a crash
    EXPECT_EQ(sink->lines().size(), 4u);
}

TEST(AuditLogger, FileSinkAppendsWithMode0600) {
    TempDir dir;
    const auto path = dir.path / "security.log";
    {
        std::ofstream(path) << "existing\n";
        std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    auto sink = audit::file_sink(path.string());
    ASSERT_TRUE(sink);
    audit::Logger log{*sink};
    log.log(Event::sys_startup, {});
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "existing");  // appended, not truncated

    const auto fresh = dir.path / "fresh.log";
    ASSERT_TRUE(audit::file_sink(fresh.string()));
    struct stat st{};
    ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AuditLogger, FileSinkOpenFailure) {
    auto sink = audit::file_sink("/nonexistent-dir/security.log");
    ASSERT_FALSE(sink);
    EXPECT_EQ(sink.error(), audit::SinkError::open_failed);
    audit::Logger to_stderr{audit::stderr_sink()};
    auto r = to_stderr.reopen();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), audit::SinkError::not_reopenable);
}

TEST(AuditLogger, ReopenAfterRotationWritesToTheNewFile) {
    TempDir dir;
    const auto path = dir.path / "security.log";
    const auto rotated = dir.path / "security.log.1";
    auto sink = audit::file_sink(path.string());
    ASSERT_TRUE(sink);
    audit::Logger log{*sink};
    log.log(Event::session_created, {"before", "", ""});
    std::filesystem::rename(path, rotated);  // what logrotate does
    log.log(Event::session_created, {"between", "", ""});  // still the old file until reopen
    ASSERT_TRUE(log.reopen());
    log.log(Event::session_created, {"after", "", ""});

    const auto old_lines = read_lines(rotated);
    const auto new_lines = read_lines(path);
    ASSERT_EQ(old_lines.size(), 2u);
    ASSERT_EQ(new_lines.size(), 1u);
    EXPECT_EQ(json::parse(old_lines[1]).at("request_id").as_string(), "between");
    EXPECT_EQ(json::parse(new_lines[0]).at("request_id").as_string(), "after");

    // A reopen that fails keeps the old file.
    std::filesystem::remove(path);
    std::filesystem::remove_all(dir.path);
    EXPECT_FALSE(log.reopen());
}

TEST(AuditLogger, ThreadsNeverInterleaveLines) {
    TempDir dir;
    const auto path = dir.path / "security.log";
    auto sink = audit::file_sink(path.string());
    ASSERT_TRUE(sink);
    audit::Logger log{*sink};
    constexpr int kThreads = 6;
    constexpr int kLines = 400;
    const std::string payload(3000, 'x');  // long lines make torn writes visible
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kLines; ++i)
                log.log(Event::input_validation_fail, {"r", "", ""}, {{"thread", t}, {"i", i}, {"p", payload}});
        });
    for (auto& th : threads) th.join();
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kLines));
    std::vector<int> per_thread(kThreads, 0);
    for (const auto& line : lines) {
        auto v = json::parse(line);  // throws on a torn line
        ++per_thread[static_cast<std::size_t>(v.at("fields").at("thread").as_int64())];
    }
    for (int n : per_thread) EXPECT_EQ(n, kLines);
    EXPECT_EQ(log.count(Event::input_validation_fail), static_cast<std::uint64_t>(kThreads * kLines));
}

TEST(AuditLogger, MemorySinkIsBounded) {
    auto sink = std::make_shared<audit::MemorySink>(2);
    audit::Logger log{sink};
    log.log(Event::sys_startup, {"1", "", ""});
    log.log(Event::sys_startup, {"2", "", ""});
    log.log(Event::sys_startup, {"3", "", ""});
    const auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(json::parse(lines[0]).at("request_id").as_string(), "2");
}

TEST(AuditLogger, SyslogSinkTakesLines) {
    // syslog has no return value to check; this proves the calls are well formed (format
    // string safe with a '%' in the data) and do not crash.
    audit::Logger log{audit::syslog_sink("bulwark-test")};
    log.log(Event::malicious_attack_tool, {"r", "127.0.0.1", ""}, {{"ua", "%s%s%n sqlmap"}});
    EXPECT_EQ(log.count(Event::malicious_attack_tool), 1u);
}

TEST(AuditRateGuard, OncePerWindowPerEventAndKey) {
    using namespace std::chrono;
    audit::RateGuard guard{seconds(60)};
    const auto t0 = steady_clock::time_point{} + hours(1);
    struct Step {
        const char* name;
        Event event;
        const char* key;
        seconds at;
        bool log;
        std::uint64_t suppressed;
    };
    const Step steps[] = {
        {"first", Event::malicious_excess_404, "1.2.3.4", seconds(0), true, 0},
        {"repeat", Event::malicious_excess_404, "1.2.3.4", seconds(1), false, 0},
        {"repeat_again", Event::malicious_excess_404, "1.2.3.4", seconds(59), false, 0},
        {"other_key", Event::malicious_excess_404, "5.6.7.8", seconds(2), true, 0},
        {"other_event", Event::authn_token_reuse, "1.2.3.4", seconds(3), true, 0},
        {"next_window", Event::malicious_excess_404, "1.2.3.4", seconds(60), true, 2},
        {"after_next", Event::malicious_excess_404, "1.2.3.4", seconds(61), false, 0},
    };
    for (const auto& s : steps) {
        SCOPED_TRACE(s.name);
        const auto a = guard.admit(s.event, s.key, t0 + s.at);
        EXPECT_EQ(a.log, s.log);
        EXPECT_EQ(a.suppressed, s.suppressed);
    }
}

TEST(AuditRateGuard, KeyTableIsBounded) {
    using namespace std::chrono;
    audit::RateGuard guard{seconds(10), 3};
    const auto t0 = steady_clock::time_point{} + hours(1);
    EXPECT_TRUE(guard.admit(Event::malicious_excess_404, "a", t0).log);
    EXPECT_TRUE(guard.admit(Event::malicious_excess_404, "b", t0).log);
    EXPECT_TRUE(guard.admit(Event::malicious_excess_404, "c", t0).log);
    EXPECT_FALSE(guard.admit(Event::malicious_excess_404, "d", t0).log);  // full
    EXPECT_EQ(guard.overflowed(), 1u);
    EXPECT_TRUE(guard.admit(Event::malicious_excess_404, "d", t0 + seconds(10)).log);  // old ones expired
}
