// Scale-out: two `bulwark serve` processes (the built binary) on two loopback ports, sharing one
// PostgreSQL schema and one Redis key prefix, must behave as one app (reference-app contract,
// "Scale-out"): the login rate limit of 5 per minute per client address holds across both under
// a concurrent flood, and a session or token made on one instance works, and ends, on the other.
//
// Each test gets a fresh schema and Redis prefix (reference_test::detail::Services), dropped at
// the end, and its own pair of servers, stopped in a destructor (SIGTERM, then SIGKILL) so a
// failing assertion never leaves one running. Needs BULWARK_TEST_DATABASE_URL and
// BULWARK_TEST_REDIS_URL (integration).
#include "run_cli.hpp"

#include "reference/fixture.hpp"
#include "support/raw_client.hpp"
#include "support/test_env.hpp"

#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using bulwark::test_support::RawClient;

using cli_test::ServeProcess;

struct Reply {
    int status = 0;  // 0: no complete status line arrived
    std::string head, body;

    // header returns the first value of a header, by a case-insensitive name.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [k, v] : headers())
            if (k == lower(name)) return v;
        return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> headers() const {
        std::vector<std::pair<std::string, std::string>> out;
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos + 2 < head.size()) {
            const auto end = head.find("\r\n", pos + 2);
            const auto line = head.substr(pos + 2, end == std::string::npos ? std::string::npos : end - pos - 2);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(' '));
                out.emplace_back(lower(line.substr(0, colon)), value);
            }
            pos = end;
        }
        return out;
    }
    static std::string lower(std::string_view s) {
        std::string out(s);
        for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    }
};

Reply parse_reply(const std::string& raw) {
    Reply r;
    const auto end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos || raw.size() < 12) return r;
    r.status = std::atoi(raw.substr(9, 3).c_str());
    r.head = raw.substr(0, end);
    r.body = raw.substr(end + 4);
    return r;
}

// http sends one request on a fresh connection (Connection: close) and reads the answer.
Reply http(std::uint16_t port, const std::string& method, const std::string& target,
           const std::vector<std::string>& headers = {}, const std::string& body = {}) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                       "\r\nConnection: close\r\n";
    for (const auto& h : headers) text += h + "\r\n";
    if (!body.empty() || method == "POST") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    try {
        RawClient c(port);
        c.send(text);
        return parse_reply(c.read_until_closed(30s));
    } catch (const std::exception&) {
        return {};
    }
}

// Cookies: what a browser would keep from Set-Cookie headers (name=value only).
struct Cookies {
    std::map<std::string, std::string> jar;
    void take(const Reply& r) {
        for (const auto& [k, v] : r.headers()) {
            if (k != "set-cookie") continue;
            const auto pair = v.substr(0, v.find(';'));
            const auto eq = pair.find('=');
            if (eq == std::string::npos) continue;
            const auto name = pair.substr(0, eq), value = pair.substr(eq + 1);
            if (value.empty() || v.find("Max-Age=0") != std::string::npos) jar.erase(name);
            else jar[name] = value;
        }
    }
    std::string header() const {
        std::string out = "Cookie: ";
        for (const auto& [k, v] : jar) out += k + "=" + v + "; ";
        return out.substr(0, out.size() - 2);
    }
};

std::string access_token_in(const std::string& body) {
    static const std::regex re(R"re("access_token"\s*:\s*"([A-Za-z0-9._-]+)")re");
    std::smatch m;
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

class ScaleOut : public ::testing::Test {
protected:
    void SetUp() override {
        BULWARK_SERVICE_URL_OR_SKIP(database_url, "BULWARK_TEST_DATABASE_URL");
        BULWARK_SERVICE_URL_OR_SKIP(redis_url, "BULWARK_TEST_REDIS_URL");
        services_ = std::make_unique<reference_test::detail::Services>(reference_test::Backend::postgresql_redis);
        // One secret for both: a session or JWT signed by one instance verifies on the other.
        common_ = services_->add_to({{"SECRET_KEY", bulwark::crypto::random_token(32)},
                                     {"BULWARK_HOST", "127.0.0.1"},
                                     {"BULWARK_PORT", "0"}});
        for (auto* instance : {&a_dir_, &b_dir_}) instance->env = with_instance(*instance);
        // The schema is migrated once, up front, so the two servers never race to migrate it.
        auto upgrade = a_dir_.run({"db", "upgrade"});
        ASSERT_EQ(upgrade.status, 0) << upgrade.err;
    }
    void TearDown() override {
        // Servers first: they hold connections to the schema the services then drop.
        a_.reset();
        b_.reset();
        services_.reset();
    }

    std::map<std::string, std::string> with_instance(const cli_test::Instance& instance) const {
        auto env = common_;
        env["BULWARK_INSTANCE_DIR"] = (instance.dir / "instance").string();
        return env;
    }

    // start_servers starts A, then B (each waits for its port), so the test begins with both up.
    void start_servers() {
        a_ = std::make_unique<ServeProcess>(a_dir_.env, a_dir_.dir);
        ASSERT_TRUE(a_->wait_listening(60s)) << "instance A did not start:\n" << a_->stderr_text();
        b_ = std::make_unique<ServeProcess>(b_dir_.env, b_dir_.dir);
        ASSERT_TRUE(b_->wait_listening(60s)) << "instance B did not start:\n" << b_->stderr_text();
        ASSERT_NE(a_->port(), b_->port());
    }

    std::unique_ptr<reference_test::detail::Services> services_;
    std::map<std::string, std::string> common_;
    cli_test::Instance a_dir_, b_dir_;
    std::unique_ptr<ServeProcess> a_, b_;
};

// 500 failed logins at once from one address, half to each instance, each with a different
// unknown username (so the per-account lock never fires): the route's "5 per minute" per
// client address is counted in Redis, so exactly 5 get through across both instances (at most 5
// when Redis answered an instance too late for some: those are refused with 503, fail closed).
TEST_F(ScaleOut, LoginRateLimitHoldsAcrossInstances) {
    ASSERT_NO_FATAL_FAILURE(start_servers());
    constexpr int kThreads = 20, kPerThread = 25, kTotal = kThreads * kPerThread;
    const std::uint16_t ports[2] = {a_->port(), b_->port()};
    const std::string tag = bulwark::crypto::hex_encode(bulwark::crypto::random_bytes(4));
    std::vector<Reply> replies(kTotal);
    std::latch go(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Each thread opens its connections and sends every request before reading any
            // answer, so all 500 are in flight together.
            std::vector<std::unique_ptr<RawClient>> clients(kPerThread);
            go.arrive_and_wait();
            for (int i = 0; i < kPerThread; ++i) {
                const int k = t * kPerThread + i;
                const std::uint16_t port = ports[k % 2];
                const std::string body =
                    R"({"username": "nobody_)" + tag + "_" + std::to_string(k) + R"(", "password": "not the password 42"})";
                const std::string text = "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                         "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n\r\n" + body;
                try {
                    clients[i] = std::make_unique<RawClient>(port);
                    clients[i]->send(text);
                } catch (const std::exception&) {
                    clients[i].reset();
                }
            }
            for (int i = 0; i < kPerThread; ++i)
                if (clients[i]) replies[t * kPerThread + i] = parse_reply(clients[i]->read_until_closed(60s));
        });
    }
    for (auto& th : threads) th.join();

    int unanswered = 0, limited = 0, limited_on[2] = {0, 0}, unavailable = 0;
    std::map<int, int> others;
    for (int k = 0; k < kTotal; ++k) {
        const auto& r = replies[k];
        if (r.status == 0) {
            ++unanswered;
        } else if (r.status == 429) {
            ++limited;
            ++limited_on[k % 2];
            EXPECT_TRUE(r.header("Retry-After")) << "429 without Retry-After";
        } else if (r.status == 503 && r.body.find("Server busy") == std::string::npos) {
            // The limiter's store did not answer within its timeout (a loaded machine): the
            // attempt is refused, fail closed, not let through. Redis may still have counted it.
            ++unavailable;
            EXPECT_TRUE(r.header("Retry-After")) << "503 without Retry-After";
        } else {
            ++others[r.status];
            if (r.status == 503) {
                EXPECT_TRUE(r.header("Retry-After")) << "503 without Retry-After";
            }
        }
    }
    EXPECT_EQ(unanswered, 0);
    int passed = 0;
    for (const auto& [status, count] : others) passed += count;
    EXPECT_EQ(passed + limited + unavailable, kTotal);
    EXPECT_LE(passed, 5) << "attempts not limited (5 per minute per address, across both instances)";
    if (unavailable == 0) {
        EXPECT_EQ(passed, 5) << "attempts not limited (5 per minute per address, across both instances)";
    } else {
        // A refused attempt may have been one of the 5 the store counted as allowed.
        EXPECT_GE(passed + unavailable, 5);
    }
    // Every attempt that got through was hashed and refused, the same for an unknown user; or,
    // when it found the instance's password-hash pool and its queue full (2 cores: 2 hashing, 2
    // waiting), shed with 503 and Retry-After. Nothing else.
    std::string seen;
    for (const auto& [status, count] : others) seen += " " + std::to_string(status) + "x" + std::to_string(count);
    EXPECT_EQ(others[401] + others[503], passed) << "statuses other than 429:" << seen;
    EXPECT_GE(others[401], 1) << "statuses other than 429:" << seen;
    EXPECT_GT(limited_on[0], 0);
    EXPECT_GT(limited_on[1], 0);
}

// A token made on A works on B; revoked on A (POST /api/logout), B refuses it at once. A cookie
// session made on A shows its user on B; logged out on B, A no longer knows it.
TEST_F(ScaleOut, SessionsAndTokensCrossInstances) {
    const std::string user = "scale_user";
    auto created = a_dir_.run({"create-user", user, "--email", "scale@example.com"}, reference_test::kPassword + "\n");
    ASSERT_EQ(created.status, 0) << created.err;
    ASSERT_NO_FATAL_FAILURE(start_servers());
    const auto a = a_->port(), b = b_->port();

    // JWT: issued by A, accepted by B, revoked through A, refused by B.
    auto login = http(a, "POST", "/api/login", {"Content-Type: application/json"},
                      R"({"username": ")" + user + R"(", "password": ")" + reference_test::kPassword + R"("})");
    ASSERT_EQ(login.status, 200) << login.body;
    const auto token = access_token_in(login.body);
    ASSERT_FALSE(token.empty()) << login.body;
    const std::string bearer = "Authorization: Bearer " + token;
    auto on_b = http(b, "GET", "/api/protected", {bearer});
    EXPECT_EQ(on_b.status, 200) << on_b.body;
    EXPECT_NE(on_b.body.find(R"("logged_in_as":")" + user + "\""), std::string::npos) << on_b.body;
    auto logout = http(a, "POST", "/api/logout", {bearer});
    EXPECT_EQ(logout.status, 200) << logout.body;
    EXPECT_EQ(http(b, "GET", "/api/protected", {bearer}).status, 401) << "B still accepts a token revoked on A";
    EXPECT_EQ(http(a, "GET", "/api/protected", {bearer}).status, 401);

    // Cookie session: logged in on A with its CSRF token, seen on B, logged out on B, gone on A.
    Cookies cookies;
    auto form = http(a, "GET", "/login");
    ASSERT_EQ(form.status, 200);
    cookies.take(form);
    const auto csrf = reference_test::token_in(form.body);
    ASSERT_FALSE(csrf.empty()) << form.body;
    std::string password = reference_test::kPassword;
    std::replace(password.begin(), password.end(), ' ', '+');
    auto posted = http(a, "POST", "/login", {cookies.header(), "Content-Type: application/x-www-form-urlencoded"},
                       "username=" + user + "&password=" + password + "&csrf_token=" + csrf);
    ASSERT_EQ(posted.status, 303) << posted.body;
    cookies.take(posted);
    const std::string welcome = "Welcome back, <strong>" + user + "</strong>";
    auto home_b = http(b, "GET", "/", {cookies.header()});
    ASSERT_EQ(home_b.status, 200);
    EXPECT_NE(home_b.body.find(welcome), std::string::npos) << "B does not know the session made on A";
    EXPECT_EQ(http(b, "GET", "/").body.find(welcome), std::string::npos) << "no cookie, no user";

    const auto logout_csrf = reference_test::token_in(home_b.body);
    ASSERT_FALSE(logout_csrf.empty()) << home_b.body;
    const auto old_cookie = cookies.header();
    auto out = http(b, "POST", "/logout", {old_cookie, "Content-Type: application/x-www-form-urlencoded"},
                    "csrf_token=" + logout_csrf);
    EXPECT_EQ(out.status, 303) << out.body;
    auto home_a = http(a, "GET", "/", {old_cookie});
    EXPECT_EQ(home_a.status, 200);
    EXPECT_EQ(home_a.body.find(welcome), std::string::npos) << "A still honours a session destroyed on B";
}

}  // namespace

namespace {

// PrivateRedis: a redis-server of this test's own, on a free loopback port, with persistence
// off (--save "" --appendonly no), so the test can pause, kill and restart it without
// touching the shared test Redis other tests use at the same time.
class PrivateRedis {
public:
    explicit PrivateRedis(std::filesystem::path dir) : dir_(std::move(dir)), port_(free_port()) {}
    ~PrivateRedis() { kill_now(); }
    PrivateRedis(const PrivateRedis&) = delete;
    PrivateRedis& operator=(const PrivateRedis&) = delete;

    static std::string binary() {
        for (const char* p : {"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"})
            if (::access(p, X_OK) == 0) return p;
        return {};
    }

    // start runs the server and waits until it answers PING.
    bool start() {
        const std::string bin = binary(), port = std::to_string(port_), log = (dir_ / "redis.log").string(),
                          dir = dir_.string();
        std::vector<std::string> args{bin, "--port", port, "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            const int o = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (o < 0 || ::dup2(o, 1) < 0 || ::dup2(o, 2) < 0) ::_exit(127);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (ping()) return true;
            std::this_thread::sleep_for(50ms);
        }
        return false;
    }
    bool ping() const {
        try {
            RawClient c(port_);
            c.send("PING\r\n");
            return c.read_until_closed(300ms).find("+PONG") != std::string::npos;
        } catch (const std::exception&) {
            return false;
        }
    }
    // pause / resume: SIGSTOP and SIGCONT, an outage where the server keeps its data (a hung
    // or partitioned Redis): connections are accepted by the kernel but nothing answers.
    void pause() { ::kill(pid_, SIGSTOP); }
    void resume() { ::kill(pid_, SIGCONT); }
    // kill_now: SIGKILL, the data is gone (no persistence).
    void kill_now() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0?prefix=bk_outage:"; }

private:
    static std::uint16_t free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        std::uint16_t port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            port = ntohs(addr.sin_port);
        ::close(fd);
        return port;
    }

    std::filesystem::path dir_;
    std::uint16_t port_;
    pid_t pid_ = -1;
};

// ScaleOutRedisOutage: the two instances on a private Redis that the test stops and restarts.
class ScaleOutRedisOutage : public ScaleOut {
protected:
    void SetUp() override {
        if (PrivateRedis::binary().empty()) GTEST_SKIP() << "redis-server is not installed";
        ScaleOut::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        redis_ = std::make_unique<PrivateRedis>(redis_dir_.dir);
        ASSERT_TRUE(redis_->start()) << cli_test::read_file(redis_dir_.dir / "redis.log");
        common_["REDIS_URL"] = redis_->url();
        for (auto* instance : {&a_dir_, &b_dir_}) instance->env = with_instance(*instance);
    }
    void TearDown() override {
        ScaleOut::TearDown();
        redis_.reset();
    }

    cli_test::Instance redis_dir_;
    std::unique_ptr<PrivateRedis> redis_;
};

// wait_for polls `ok` every 100 ms until it holds or `timeout` passes.
template <class F>
bool wait_for(F ok, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (ok()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return ok();
}

// Redis paused (data kept) and then killed and restarted (data lost: persistence off), with
// both instances running throughout. During the outage the app fails closed (docs/store.md,
// "When Redis is down"): logins and rate-limited routes answer 503 with Retry-After, a CSRF-
// checked form with a session is 503, a session that cannot be read grants nothing, and a
// line is logged; no instance crashes and nothing answers 500. Afterwards both recover without
// a restart: the old session works again when Redis kept it, and is gone (log in again) when
// the restarted Redis lost it; new logins work.
TEST_F(ScaleOutRedisOutage, FailsClosedDuringTheOutageAndRecoversWithoutRestart) {
    const std::string user = "outage_user";
    auto created = a_dir_.run({"create-user", user, "--email", "outage@example.com"}, reference_test::kPassword + "\n");
    ASSERT_EQ(created.status, 0) << created.err;
    ASSERT_NO_FATAL_FAILURE(start_servers());
    const auto a = a_->port(), b = b_->port();
    const std::string welcome = "Welcome back, <strong>" + user + "</strong>";
    const std::string api_body =
        R"({"username": ")" + user + R"(", "password": ")" + reference_test::kPassword + R"("})";
    std::string password = reference_test::kPassword;
    std::replace(password.begin(), password.end(), ' ', '+');

    // form_login logs in on `port` through the login form; returns the POST's answer.
    auto form_login = [&](std::uint16_t port, Cookies& cookies) {
        auto form = cookies.jar.empty() ? http(port, "GET", "/login") : http(port, "GET", "/login", {cookies.header()});
        cookies.take(form);
        const auto csrf = reference_test::token_in(form.body);
        auto posted = http(port, "POST", "/login", {cookies.header(), "Content-Type: application/x-www-form-urlencoded"},
                           "username=" + user + "&password=" + password + "&csrf_token=" + csrf);
        cookies.take(posted);
        return posted;
    };
    auto knows = [&](std::uint16_t port, const Cookies& cookies) {
        auto r = http(port, "GET", "/", {cookies.header()});
        return r.status == 200 && r.body.find(welcome) != std::string::npos;
    };
    auto expect_503 = [](const Reply& r, const char* what) {
        EXPECT_EQ(r.status, 503) << what << ": " << r.body;
        EXPECT_TRUE(r.header("Retry-After")) << what << ": 503 without Retry-After";
    };

    // Before: a cookie session made on A, seen on B.
    Cookies before;
    ASSERT_EQ(form_login(a, before).status, 303);
    ASSERT_TRUE(knows(b, before));
    auto home = http(a, "GET", "/", {before.header()});
    const auto logout_csrf = reference_test::token_in(home.body);
    auto api = http(a, "POST", "/api/login", {"Content-Type: application/json"}, api_body);
    ASSERT_EQ(api.status, 200) << api.body;
    const std::string bearer = "Authorization: Bearer " + access_token_in(api.body);
    ASSERT_EQ(http(b, "GET", "/api/protected", {bearer}).status, 200);

    // 1. Redis hangs (SIGSTOP): every store call times out.
    redis_->pause();
    {
        auto page = http(b, "GET", "/", {before.header()});
        EXPECT_EQ(page.status, 200) << page.body;
        EXPECT_EQ(page.body.find(welcome), std::string::npos) << "an unreadable session granted access";
        expect_503(http(a, "POST", "/api/login", {"Content-Type: application/json"}, api_body), "API login");
        auto form_post = http(b, "POST", "/logout", {before.header(), "Content-Type: application/x-www-form-urlencoded"},
                              "csrf_token=" + logout_csrf);
        expect_503(form_post, "CSRF-checked form with an unreadable session");
        auto login = http(a, "POST", "/login", {before.header(), "Content-Type: application/x-www-form-urlencoded"},
                          "username=" + user + "&password=" + password + "&csrf_token=" + logout_csrf);
        expect_503(login, "form login");
        auto protected_page = http(b, "GET", "/api/protected", {bearer});
        EXPECT_EQ(protected_page.status, 401) << "a token whose revocation cannot be checked: " << protected_page.body;
        EXPECT_EQ(http(a, "GET", "/static/style.css").status, 200) << "a route that needs no store still works";
        EXPECT_TRUE(a_->alive() && b_->alive());
    }
    redis_->resume();
    EXPECT_TRUE(wait_for([&] { return knows(b, before) && knows(a, before); }, 15s))
        << "the session Redis kept did not come back without a restart";
    EXPECT_EQ(http(b, "POST", "/api/login", {"Content-Type: application/json"}, api_body).status, 200);
    EXPECT_EQ(http(a, "GET", "/api/protected", {bearer}).status, 200);

    // 2. Redis dies (SIGKILL) and comes back empty (persistence off).
    redis_->kill_now();
    {
        auto page = http(a, "GET", "/", {before.header()});
        EXPECT_EQ(page.status, 200) << page.body;
        EXPECT_EQ(page.body.find(welcome), std::string::npos);
        expect_503(http(b, "POST", "/api/login", {"Content-Type: application/json"}, api_body), "API login, Redis down");
        EXPECT_TRUE(a_->alive() && b_->alive());
    }
    ASSERT_TRUE(redis_->start());
    EXPECT_TRUE(wait_for([&] {
        return http(a, "POST", "/api/login", {"Content-Type: application/json"}, api_body).status == 200;
    }, 15s)) << "logins did not recover without a restart";
    EXPECT_FALSE(knows(b, before)) << "the restarted Redis kept nothing: the old session must log in again";
    Cookies after;
    EXPECT_EQ(form_login(b, after).status, 303);
    EXPECT_TRUE(knows(a, after)) << "a new session made on B after the restart is not seen on A";

    EXPECT_TRUE(a_->alive() && b_->alive()) << "an instance died";
    EXPECT_NE(a_->stderr_text().find("store unavailable"), std::string::npos) << "the outage was not logged";
    for (auto* s : {a_.get(), b_.get()})
        EXPECT_EQ(s->stderr_text().find(" status=500 "), std::string::npos) << "a request answered 500";
}

}  // namespace
