// Issue 13's recovery flows end to end over real loopback sockets, with the mail going through
// real SMTP to tests/support/smtp_sink.py (python3-aiosmtpd), which this test starts and stops:
// email verification (off / optional / required), the forgotten-password reset, the email
// change. Runs on SQLite (test_reference_recovery) and on PostgreSQL + Redis
// (test_reference_services).
#include "fixture.hpp"
#include "support/raw_client.hpp"
#include "support/smtp_sink.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using bulwark::test_support::Reply;
using bulwark::test_support::RunningServer;
using bulwark::testing::Fields;
using bulwark::testing::TestClient;
using reference_test::kPassword;
using namespace std::chrono_literals;

namespace {

const std::string kNewPassword = "lantern orchard quietly 2026 blue";

struct Mail {
    std::string to, subject, body;
};

// Sink: tests/support/smtp_sink.py (one JSON file per message) and what it has received.
class Sink {
public:
    Sink()
        : process_([](int port, const std::filesystem::path& dir) {
              return std::vector<std::string>{"/usr/bin/python3",
                                              std::string(BULWARK_SOURCE_DIR) + "/tests/support/smtp_sink.py",
                                              "--port", std::to_string(port), "--dir", dir.string()};
          }) {}
    bool up() const { return process_.up(); }
    std::string url() const { return process_.url(); }

    std::vector<Mail> all() const {
        std::vector<std::filesystem::path> files;
        for (const auto& e : std::filesystem::directory_iterator(process_.dir()))
            if (e.path().extension() == ".json") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<Mail> out;
        for (const auto& f : files) {
            std::ifstream in(f);
            const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            auto v = boost::json::parse(text).as_object();
            out.push_back({std::string(v["to"].as_string()), std::string(v["subject"].as_string()),
                           std::string(v["body"].as_string())});
        }
        return out;
    }
    // wait_for: the first mail to `to` whose subject contains `subject`, waiting up to 15 s.
    std::optional<Mail> wait_for(const std::string& to, const std::string& subject) const {
        for (int i = 0; i < 300; ++i) {
            for (auto& m : all())
                if (m.to.find(to) != std::string::npos && m.subject.find(subject) != std::string::npos) return m;
            std::this_thread::sleep_for(50ms);
        }
        return std::nullopt;
    }
    std::size_t count(const std::string& to, const std::string& subject) const {
        std::size_t n = 0;
        for (auto& m : all()) n += m.to.find(to) != std::string::npos && m.subject.find(subject) != std::string::npos;
        return n;
    }

private:
    bulwark::test_support::SmtpSinkProcess process_;
};

// link_in: the path of the first link to `prefix` in a mail body ("/reset-password/<token>").
std::string link_in(const std::string& body, const std::string& prefix) {
    const std::regex re("https?://[^/\\s]+(" + prefix + "[A-Za-z0-9_-]{43})");
    std::smatch m;
    return std::regex_search(body, m, re) ? m[1].str() : std::string();
}

// Browser: fresh loopback connections and a cookie jar.
class Browser {
public:
    explicit Browser(std::uint16_t port) : port_(port) {}
    Reply get(const std::string& target) { return send("GET", target, ""); }
    Reply post(const std::string& target, Fields fields, const std::string& token_from) {
        fields.emplace_back("csrf_token", reference_test::token_in(get(token_from).body()));
        return send("POST", target, TestClient::form_encode(fields));
    }
    Reply log_in(const std::string& user, const std::string& password) {
        return post("/login", {{"username", user}, {"password", password}}, "/login");
    }
    bool logged_in_as(const std::string& user) {
        return get("/").body().find("Signed in as " + user) != std::string::npos;
    }

private:
    Reply send(const std::string& method, const std::string& target, const std::string& body) {
        std::string headers;
        if (!jar_.empty()) {
            std::string cookies;
            for (const auto& [k, v] : jar_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
            headers += "Cookie: " + cookies + "\r\n";
        }
        if (method == "POST") headers += "Content-Type: application/x-www-form-urlencoded\r\n";
        Reply r = bulwark::test_support::exchange(port_, method, target, headers, body);
        static const std::regex re(R"re(\r\nSet-Cookie: ([^=;\s]+)=([^;\r]*)([^\r]*))re");
        const auto head = r.raw.substr(0, r.raw.find("\r\n\r\n"));
        for (auto it = std::sregex_iterator(head.begin(), head.end(), re); it != std::sregex_iterator(); ++it) {
            const std::string name = (*it)[1], value = (*it)[2], attributes = (*it)[3];
            if (attributes.find("Max-Age=0") != std::string::npos || value.empty()) jar_.erase(name);
            else jar_[name] = value;
        }
        return r;
    }
    std::uint16_t port_;
    std::map<std::string, std::string> jar_;
};

class AccountRecovery : public reference_test::BackendTest {
protected:
    void SetUp() override {
        reference_test::BackendTest::SetUp();
        if (IsSkipped()) return;
        if (std::system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null") != 0) {
            if (bulwark::testing_env::services_required()) FAIL() << "python3-aiosmtpd is not installed";
            GTEST_SKIP() << "python3-aiosmtpd is not installed";
        }
        sink_ = std::make_unique<Sink>();
        ASSERT_TRUE(sink_->up()) << "the SMTP sink did not start";
    }
    std::unique_ptr<reference_test::App> make_app(std::map<std::string, std::string> extra = {}) {
        extra.emplace("SMTP_URL", sink_->url());
        extra.emplace("BULWARK_LOGIN_RATE_LIMIT", "1000 per minute");
        extra.emplace("FORGOT_PASSWORD_RATE_LIMIT", "1000 per hour");
        extra.emplace("PUBLIC_URL", "http://app.test");
        return std::make_unique<reference_test::App>(GetParam(), std::move(extra));
    }
    static void register_user(Browser& b, const std::string& name) {
        auto r = b.post("/register", {{"username", name}, {"email", name + "@example.com"}, {"password", kPassword}},
                        "/register");
        ASSERT_EQ(r.status, 303) << r.raw.substr(0, 400);
    }
    static bulwark::db::Database database(const reference_test::App& a) {
        auto d = bulwark::db::Database::open(a.config.database_url);
        if (!d) throw std::runtime_error("open: " + d.error().diagnostic_for_log());
        return std::move(*d);
    }
    std::unique_ptr<Sink> sink_;
};

TEST_P(AccountRecovery, ForgotPasswordResetEndsSessionsAndNotifies) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser device(server.port()), other(server.port()), anonymous(server.port());
    register_user(device, "rita");
    ASSERT_EQ(other.log_in("rita", kPassword).status, 303);
    ASSERT_TRUE(other.logged_in_as("rita"));

    EXPECT_EQ(anonymous.get("/forgot-password").status, 200);
    auto asked = anonymous.post("/forgot-password", {{"email", "rita@example.com"}}, "/forgot-password");
    ASSERT_EQ(asked.status, 200);
    EXPECT_NE(asked.body().find("id=\"sent\""), std::string::npos);
    auto mail = sink_->wait_for("rita@example.com", "Reset your password");
    ASSERT_TRUE(mail) << "no reset mail";
    const auto path = link_in(mail->body, "/reset-password/");
    ASSERT_FALSE(path.empty()) << mail->body;
    EXPECT_NE(mail->body.find("http://app.test/reset-password/"), std::string::npos);  // PUBLIC_URL, never Host

    auto form = anonymous.get(path);
    ASSERT_EQ(form.status, 200);
    EXPECT_EQ(form.header("Referrer-Policy").value_or(""), "no-referrer");
    EXPECT_EQ(form.header("Cache-Control").value_or(""), "no-store");
    auto weak = anonymous.post(path, {{"password", "short"}}, path);
    EXPECT_EQ(weak.status, 400);
    auto done = anonymous.post(path, {{"password", kNewPassword}}, path);
    ASSERT_EQ(done.status, 303) << done.raw.substr(0, 400);
    EXPECT_EQ(done.header("Location").value_or(""), "/login");

    EXPECT_FALSE(other.logged_in_as("rita")) << "a session survived the reset";
    EXPECT_TRUE(sink_->wait_for("rita@example.com", "Your password was changed")) << "no notification";
    EXPECT_EQ(anonymous.get(path).status, 400) << "the link works twice";
    EXPECT_EQ(anonymous.post(path, {{"password", "yet another good passphrase 77"}}, "/forgot-password").status, 400);
    Browser fresh(server.port());
    EXPECT_EQ(fresh.log_in("rita", kPassword).status, 401);
    EXPECT_EQ(fresh.log_in("rita", kNewPassword).status, 303);
    server.stop();
}

TEST_P(AccountRecovery, ForgotPasswordAnswersAlikeForUnknownAddresses) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "kim");
    // Everything but the per-response CSRF token and CSP nonce must match.
    auto normalise = [](std::string body) {
        body = std::regex_replace(body, std::regex(R"re(value="[A-Za-z0-9_-]+")re"), "value=\"\"");
        return std::regex_replace(body, std::regex(R"re(nonce="[A-Za-z0-9_+/=-]+")re"), "nonce=\"\"");
    };
    std::vector<double> known_ms, unknown_ms;
    std::string known_body, unknown_body;
    for (int i = 0; i < 3; ++i) {
        Browser x(server.port()), y(server.port());
        auto t0 = std::chrono::steady_clock::now();
        auto k = x.post("/forgot-password", {{"email", "kim@example.com"}}, "/forgot-password");
        auto t1 = std::chrono::steady_clock::now();
        auto u = y.post("/forgot-password", {{"email", "nobody-" + std::to_string(i) + "@example.com"}}, "/forgot-password");
        auto t2 = std::chrono::steady_clock::now();
        ASSERT_EQ(k.status, 200);
        ASSERT_EQ(u.status, 200);
        known_body = normalise(k.body());
        unknown_body = normalise(u.body());
        known_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        unknown_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    EXPECT_EQ(known_body, unknown_body);
    std::sort(known_ms.begin(), known_ms.end());
    std::sort(unknown_ms.begin(), unknown_ms.end());
    // The lookup, the token and the mail happen after the answer, so neither median can carry
    // them; 50 ms is far above the jitter of two identical request paths on loopback.
    EXPECT_LT(std::abs(known_ms[1] - unknown_ms[1]), 50.0) << known_ms[1] << " vs " << unknown_ms[1];
    ASSERT_TRUE(sink_->wait_for("kim@example.com", "Reset your password"));
    std::this_thread::sleep_for(500ms);
    for (const auto& m : sink_->all()) EXPECT_EQ(m.to.find("nobody-"), std::string::npos) << "mail to an unknown address";
    server.stop();
}

TEST_P(AccountRecovery, ForgotPasswordIsThrottledPerAddressKnownOrNot) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "tom");
    for (const std::string email : {"tom@example.com", "ghost@example.com"}) {
        for (int i = 0; i < 3; ++i)
            EXPECT_EQ(b.post("/forgot-password", {{"email", email}}, "/forgot-password").status, 200) << email << i;
        auto limited = b.post("/forgot-password", {{"email", email}}, "/forgot-password");
        EXPECT_EQ(limited.status, 429) << email;
        EXPECT_FALSE(limited.header("Retry-After").value_or("").empty());
    }
    EXPECT_EQ(b.post("/forgot-password", {{"email", "not an address"}}, "/forgot-password").status, 400);
    server.stop();
}

TEST_P(AccountRecovery, BadResetAndVerifyLinksAre400) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port());
    const std::string unknown(43, 'A');
    for (const std::string& token : {unknown, std::string("short"), std::string(300, 'x')}) {
        EXPECT_EQ(b.get("/reset-password/" + token).status, 400) << token.size();
        EXPECT_EQ(b.get("/verify-email/" + token).status, 400) << token.size();
        EXPECT_EQ(b.get("/confirm-email/" + token).status, 400) << token.size();
    }
    server.stop();
}

TEST_P(AccountRecovery, RegistrationMailsAVerificationLink) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "vera");
    auto mail = sink_->wait_for("vera@example.com", "Confirm your email address");
    ASSERT_TRUE(mail);
    const auto path = link_in(mail->body, "/verify-email/");
    ASSERT_FALSE(path.empty()) << mail->body;
    auto db = database(*a);
    auto before = db.one<std::optional<std::int64_t>>("SELECT email_verified_at FROM users WHERE username = ?", "vera");
    ASSERT_TRUE(before && *before);
    EXPECT_FALSE(**before);
    // A reset link is not a verification link, and the other way round.
    EXPECT_EQ(b.get("/reset-password/" + path.substr(std::string("/verify-email/").size())).status, 400);
    auto ok = b.get(path);
    EXPECT_EQ(ok.status, 303);
    EXPECT_EQ(ok.header("Location").value_or(""), "/login");
    auto after = db.one<std::optional<std::int64_t>>("SELECT email_verified_at FROM users WHERE username = ?", "vera");
    ASSERT_TRUE(after && *after);
    EXPECT_TRUE(**after);
    EXPECT_EQ(b.get(path).status, 400) << "used twice";
    server.stop();
}

TEST_P(AccountRecovery, ResendIsForLoggedInUsersAndRateLimited) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port()), anonymous(server.port());
    register_user(b, "rosa");
    ASSERT_TRUE(sink_->wait_for("rosa@example.com", "Confirm your email address"));
    EXPECT_EQ(anonymous.post("/verify-email/resend", {}, "/login").status, 303);  // to the login form
    ASSERT_EQ(b.log_in("rosa", kPassword).status, 303);
    for (int i = 0; i < 3; ++i) {
        auto r = b.post("/verify-email/resend", {}, "/");
        EXPECT_EQ(r.status, 303) << i;
        EXPECT_EQ(r.header("Location").value_or(""), "/");
    }
    EXPECT_EQ(b.post("/verify-email/resend", {}, "/").status, 429);
    for (int i = 0; i < 100 && sink_->count("rosa@example.com", "Confirm your email address") < 4; ++i)
        std::this_thread::sleep_for(50ms);
    EXPECT_EQ(sink_->count("rosa@example.com", "Confirm your email address"), 4u);
    server.stop();
}

TEST_P(AccountRecovery, RequiredVerificationRefusesLoginUntilVerified) {
    auto a = make_app({{"EMAIL_VERIFICATION", "required"}});
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "quinn");
    auto refused = b.log_in("quinn", kPassword);
    EXPECT_EQ(refused.status, 403);
    EXPECT_NE(refused.body().find("Confirm your email address first"), std::string::npos);
    EXPECT_FALSE(b.logged_in_as("quinn"));
    TestClient api(a->app);
    auto api_refused = api.post_json("/api/login", R"({"username": "quinn", "password": ")" + kPassword + R"("})");
    EXPECT_EQ(api_refused.status, 403);
    auto mail = sink_->wait_for("quinn@example.com", "Confirm your email address");
    ASSERT_TRUE(mail);
    EXPECT_EQ(b.get(link_in(mail->body, "/verify-email/")).status, 303);
    EXPECT_EQ(b.log_in("quinn", kPassword).status, 303);
    EXPECT_TRUE(b.logged_in_as("quinn"));
    server.stop();
}

TEST_P(AccountRecovery, VerificationOffSendsNothingAndLetsUsersIn) {
    auto a = make_app({{"EMAIL_VERIFICATION", "off"}});
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "otto");
    EXPECT_EQ(b.log_in("otto", kPassword).status, 303);
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(sink_->count("otto@example.com", ""), 0u);
    server.stop();
}

TEST_P(AccountRecovery, EmailChangeTakesEffectOnlyWhenConfirmed) {
    auto a = make_app();
    RunningServer server(a->app);
    Browser b(server.port());
    register_user(b, "eve");
    ASSERT_EQ(b.log_in("eve", kPassword).status, 303);
    auto r = b.post("/update-profile", {{"email", "eve.new@example.com"}}, "/");
    ASSERT_EQ(r.status, 303);
    EXPECT_EQ(r.header("Location").value_or(""), "/");
    auto db = database(*a);
    auto email = [&] {
        auto e = db.one<std::string>("SELECT email FROM users WHERE username = ?", "eve");
        return e && *e ? **e : std::string();
    };
    EXPECT_EQ(email(), "eve@example.com") << "changed before confirmation";
    auto notice = sink_->wait_for("eve@example.com", "A change of your email address was requested");
    EXPECT_TRUE(notice) << "the old address was not told";
    auto confirm = sink_->wait_for("eve.new@example.com", "Confirm your new email address");
    ASSERT_TRUE(confirm);
    const auto path = link_in(confirm->body, "/confirm-email/");
    ASSERT_FALSE(path.empty());
    EXPECT_EQ(b.get(path).status, 303);
    EXPECT_EQ(email(), "eve.new@example.com");
    EXPECT_EQ(b.get(path).status, 400) << "used twice";
    EXPECT_TRUE(sink_->wait_for("eve@example.com", "Your email address was changed"));
    server.stop();
}

TEST_P(AccountRecovery, ProductionWithoutSmtpUrlRefusesToStart) {
    reference_test::App a(GetParam(), std::map<std::string, std::string>{
        {"BULWARK_ENV", "production"}, {"SECRET_KEY", bulwark::crypto::random_token(48)},
        {"PUBLIC_URL", "https://app.example.com"}});
    try {
        a.app.check_configuration();
        ADD_FAILURE() << "started without SMTP_URL";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("SMTP_URL"), std::string::npos) << e.what();
    }
    reference_test::App with(GetParam(), std::map<std::string, std::string>{
        {"BULWARK_ENV", "production"}, {"SECRET_KEY", bulwark::crypto::random_token(48)},
        {"PUBLIC_URL", "https://app.example.com"}, {"SMTP_URL", "smtp://mail.example.com:587"}});
    EXPECT_NO_THROW(with.app.check_configuration());
}

TEST_P(AccountRecovery, AccessLogNeverWritesAToken) {
    auto a = make_app();
    const std::string token = bulwark::crypto::random_token(32);
    const auto capture = std::filesystem::temp_directory_path() / ("bulwark-access-" + bulwark::crypto::random_token(8));
    std::fflush(stderr);
    const int saved = ::dup(2);
    const int fd = ::open(capture.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ::dup2(fd, 2);
    for (const std::string path : {"/reset-password/", "/verify-email/", "/confirm-email/"})
        a->app.write_access_log({"GET", path + token, 200, 10, std::chrono::microseconds(5), "rid", "127.0.0.1"});
    a->app.write_access_log({"POST", "/verify-email/resend", 303, 0, std::chrono::microseconds(5), "rid", "127.0.0.1"});
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    std::ifstream in(capture);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(capture);
    EXPECT_EQ(log.find(token), std::string::npos) << log;
    EXPECT_NE(log.find("path=\"/reset-password/[token]\""), std::string::npos) << log;
    EXPECT_NE(log.find("path=\"/verify-email/resend\""), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(, AccountRecovery, reference_test::backends(), reference_test::backend_name);

}  // namespace
