// backend_test.cpp: SMTP configuration rules and the development console backend.
#include <bulwark/mail.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace mail = bulwark::mail;

TEST(MailSmtpConfig, UrlTable) {
    struct Case {
        const char* name;
        const char* url;
        bool accepted;
        const char* server;
        bool tls_required;
    };
    const Case cases[] = {
        {"starttls_default_port", "smtp://mail.example.com", true, "smtp://mail.example.com:587", true},
        {"starttls_port", "smtp://mail.example.com:2525", true, "smtp://mail.example.com:2525", true},
        {"implicit_tls", "smtps://mail.example.com", true, "smtps://mail.example.com:465", true},
        {"credentials_stripped", "smtps://user:s3cret@mail.example.com:465", true, "smtps://mail.example.com:465", true},
        {"loopback_plain", "smtp://127.0.0.1:2525?starttls=off", true, "smtp://127.0.0.1:2525", false},
        {"localhost_plain", "smtp://localhost:2525?starttls=off", true, "smtp://localhost:2525", false},
        {"ipv6_loopback_plain", "smtp://[::1]:2525?starttls=off", true, "smtp://[::1]:2525", false},
        {"remote_plain_refused", "smtp://mail.example.com?starttls=off", false, "", false},
        {"smtps_starttls_off_refused", "smtps://127.0.0.1?starttls=off", false, "", false},
        {"plain_with_credentials_refused", "smtp://u:p@127.0.0.1:25?starttls=off", false, "", false},
        {"http_refused", "http://mail.example.com", false, "", false},
        {"unknown_param_refused", "smtp://mail.example.com?verify=off", false, "", false},
        {"path_refused", "smtp://mail.example.com/x", false, "", false},
        {"no_host", "smtp://", false, "", false},
        {"garbage", "not a url", false, "", false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        if (!c.accepted) {
            try {
                mail::SmtpBackend b{{.url = c.url}};
                ADD_FAILURE() << "accepted";
            } catch (const std::invalid_argument& e) {
                EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos);
                EXPECT_EQ(std::string(e.what()).find(":p@"), std::string::npos);
            }
            continue;
        }
        mail::SmtpBackend b{{.url = c.url}};
        EXPECT_EQ(b.server_url(), c.server);
        EXPECT_EQ(b.tls_required(), c.tls_required);
    }
}

TEST(MailSmtpBackend, UnreachableServerIsTransient) {
    // Port 1 on loopback has no listener: connect_failed, which the Outbox retries.
    mail::SmtpBackend b{{.url = "smtp://127.0.0.1:1?starttls=off", .connect_timeout = std::chrono::milliseconds(2000)}};
    auto r = b.send({"a@shop.example", "b@example.com", "s", "body"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), mail::SendError::connect_failed);
    EXPECT_TRUE(mail::is_transient(r.error()));
    auto bad = b.send({"a@shop.example", "b@example.com\r\nBcc: x@y.example", "s", "body"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), mail::SendError::invalid_message);
    EXPECT_FALSE(mail::is_transient(bad.error()));
}

TEST(MailLogBackend, RefusesProduction) {
    EXPECT_THROW(mail::LogBackend{mail::Environment::production}, std::invalid_argument);
    EXPECT_NO_THROW(mail::LogBackend{mail::Environment::development});
}

TEST(MailLogBackend, PrintsTheLinkWithControlsEscaped) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    mail::LogBackend b{mail::Environment::development, fds[1]};
    ASSERT_TRUE(b.send({"Shop <a@shop.example>", "bob@example.com", "Reset",
                        "Go to https://shop.example/reset/abc\n\x1b]0;pwned\x07 done"}));
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    EXPECT_NE(out.find("To: bob@example.com\n"), std::string::npos);
    EXPECT_NE(out.find("Subject: Reset\n"), std::string::npos);
    EXPECT_NE(out.find("https://shop.example/reset/abc\n"), std::string::npos);
    EXPECT_NE(out.find("\\x1b]0;pwned\\x07 done"), std::string::npos);
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_FALSE(b.send({"a@shop.example", "bob@example.com\nBcc: x@y.example", "s", "b"}));
}
