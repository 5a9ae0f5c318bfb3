// smtp_sink_test.cpp: real SMTP over loopback to Debian's aiosmtpd, which stores every message
// it receives in a maildir; the test reads them back.
#include <bulwark/mail.hpp>

#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace mail = bulwark::mail;
using namespace std::chrono_literals;

namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        return -1;
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

bool can_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string decode_qp(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '=' && i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') {
            i += 2;
        } else if (s[i] == '=' && i + 1 < s.size() && s[i + 1] == '\n') {
            i += 1;
        } else if (s[i] == '=' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (s[i] != '\r') {
            out += s[i];
        }
    }
    return out;
}

struct Received {
    std::string subject, to, body;
};

class SmtpSink : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists("/usr/bin/python3") ||
            std::system("/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null") != 0) {
            if (bulwark::testing_env::services_required()) FAIL() << "python3-aiosmtpd is not installed";
            GTEST_SKIP() << "python3-aiosmtpd is not installed";
        }
        char tmpl[] = "/tmp/bulwark-mail-XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        port_ = free_port();
        ASSERT_GT(port_, 0);
        const std::string listen = "127.0.0.1:" + std::to_string(port_);
        const std::string maildir = (dir_ / "maildir").string();
        std::vector<std::string> args = {"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", listen,
                                         "-c", "aiosmtpd.handlers.Mailbox", maildir};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ASSERT_EQ(::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
        for (int i = 0; i < 200 && !can_connect(port_); ++i) std::this_thread::sleep_for(50ms);
        ASSERT_TRUE(can_connect(port_)) << "the SMTP sink did not start";
        url_ = "smtp://127.0.0.1:" + std::to_string(port_) + "?starttls=off";
    }

    void TearDown() override {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }

    std::vector<Received> received() {
        std::vector<Received> out;
        const auto dir = dir_ / "maildir" / "new";
        if (!std::filesystem::exists(dir)) return out;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            const auto split = raw.find("\n\n");
            const std::string headers = raw.substr(0, split + 1);
            Received r;
            auto value = [&](const std::string& name) {
                const auto at = headers.find("\n" + name + ": ");
                if (at == std::string::npos) return std::string();
                const auto from = at + name.size() + 3;
                return headers.substr(from, headers.find('\n', from) - from);
            };
            r.subject = value("Subject");
            r.to = value("To");
            r.body = decode_qp(raw.substr(split + 2));
            out.push_back(r);
        }
        return out;
    }

    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
    std::string url_;
};

}  // namespace

TEST_F(SmtpSink, OutboxDeliversAndTheSinkReadsItBack) {
    auto backend = std::make_shared<mail::SmtpBackend>(mail::SmtpConfig{.url = url_});
    mail::Outbox outbox{backend, {.initial_backoff = 100ms, .jitter = false}};
    const std::string link = "https://shop.example/reset-password/" + std::string(43, 'A');
    ASSERT_TRUE(outbox.send_async({"Shop <noreply@shop.example>", "Bob <bob@example.com>", "Reset your password",
                                   "Hello Bob,\n\nFollow " + link + " within an hour.\n.\nx=1 é\n"}));
    ASSERT_TRUE(outbox.send_async({"noreply@shop.example", "alice@example.com", "Your password was changed",
                                   "If this was not you, reply.\n"}));
    ASSERT_TRUE(outbox.flush(20s));
    EXPECT_EQ(outbox.stats().sent, 2u);

    auto got = received();
    ASSERT_EQ(got.size(), 2u);
    std::sort(got.begin(), got.end(), [](const auto& a, const auto& b) { return a.subject > b.subject; });
    EXPECT_EQ(got[0].subject, "Your password was changed");
    EXPECT_EQ(got[0].to, "alice@example.com");
    EXPECT_EQ(got[1].subject, "Reset your password");
    EXPECT_EQ(got[1].to, "Bob <bob@example.com>");
    EXPECT_EQ(got[1].body, "Hello Bob,\n\nFollow " + link + " within an hour.\n.\nx=1 é\n");
}

TEST_F(SmtpSink, StartTlsIsRequiredUnlessTheUrlSaysOtherwise) {
    // The sink offers no STARTTLS: without `starttls=off` the backend refuses to send in clear.
    mail::SmtpBackend strict{{.url = "smtp://127.0.0.1:" + std::to_string(port_)}};
    auto r = strict.send({"noreply@shop.example", "bob@example.com", "secret link", "token inside"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), mail::SendError::tls_failed);
    EXPECT_TRUE(received().empty());
}

TEST_F(SmtpSink, InjectedHeadersNeverReachTheServer) {
    mail::SmtpBackend backend{{.url = url_}};
    auto r = backend.send({"noreply@shop.example", "bob@example.com\r\nBcc: all@evil.example", "Hi", "body"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), mail::SendError::invalid_message);
    EXPECT_TRUE(received().empty());
}
