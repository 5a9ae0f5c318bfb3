// smtp_sink_test.cpp: real SMTP over loopback to Debian's aiosmtpd, which stores every message
// it receives in a maildir; the test reads them back.
#include <bulwark/mail.hpp>

#include "support/smtp_sink.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

namespace mail = bulwark::mail;
using namespace std::chrono_literals;

namespace {

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
        sink_ = std::make_unique<bulwark::test_support::SmtpSinkProcess>(
            [](int port, const std::filesystem::path& dir) {
                return std::vector<std::string>{"/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l",
                                                "127.0.0.1:" + std::to_string(port), "-c",
                                                "aiosmtpd.handlers.Mailbox", (dir / "maildir").string()};
            });
        ASSERT_TRUE(sink_->up()) << "the SMTP sink did not start";
        url_ = sink_->url();
    }

    std::vector<Received> received() {
        std::vector<Received> out;
        const auto dir = sink_->dir() / "maildir" / "new";
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

    std::unique_ptr<bulwark::test_support::SmtpSinkProcess> sink_;
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
    mail::SmtpBackend strict{{.url = "smtp://127.0.0.1:" + std::to_string(sink_->port())}};
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
