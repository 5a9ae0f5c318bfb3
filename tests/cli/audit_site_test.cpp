// `bulwark audit` end to end, as the built binary against real servers on loopback:
//   - the reference app in production over TLS, with a self-signed certificate this test makes
//     with openssl and hands to the audit with --ca-file; the HTTPS redirect is probed on a
//     second production instance serving plain HTTP (the app's own redirect stage answers
//     there, exactly as it would behind a port-80 listener): the report is clean, exit 0;
//   - the reference app in development over plain HTTP: no redirect, no HSTS, a cookie without
//     Secure, each named, exit 1;
//   - a tiny deliberately weak server (below): every other check names its problem, exit 1.
// Each run is a table: check name -> the status the report must give it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bulwark/crypto.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "run_cli.hpp"

namespace {

using namespace std::chrono_literals;
using cli_test::Instance;
using cli_test::Run;
using cli_test::ServeProcess;

using Expected = std::map<std::string, std::string>;  // check -> PASS / WARN / FAIL

// WeakServer: a tiny HTTP/1.1 server with every mistake the audit looks for; one request per
// connection, answered by path.
class WeakServer {
  public:
    WeakServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 16) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            return;
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { loop(); });
    }
    ~WeakServer() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        if (fd_ >= 0) ::close(fd_);
    }
    std::uint16_t port() const { return port_; }

  private:
    void loop() {
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) continue;
            timeval tv{2, 0};
            ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            std::string request;
            char buf[4096];
            while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
                const auto n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                request.append(buf, static_cast<std::size_t>(n));
            }
            const std::string reply = answer(request);
            (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            ::shutdown(c, SHUT_WR);
            while (::recv(c, buf, sizeof buf, 0) > 0) {
            }
            ::close(c);
        }
    }

    static std::string answer(const std::string& request) {
        const std::string line = request.substr(0, request.find("\r\n"));
        const std::string weak_headers =
            "Server: Apache/2.4.1 (Unix)\r\nX-Powered-By: PHP/8.2\r\n"
            "Content-Security-Policy: script-src 'self' 'unsafe-inline' 'unsafe-eval'\r\n"
            "Referrer-Policy: unsafe-url\r\nSet-Cookie: sessionid=abc123; Path=/\r\n";
        auto respond = [&](const std::string& status, const std::string& body) {
            return "HTTP/1.1 " + status + "\r\n" + weak_headers +
                   "Content-Type: text/html\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\nConnection: close\r\n\r\n" + body;
        };
        const std::string form =
            "<form method=post action=/login><input name=username><input type=password "
            "name=password></form>";
        if (line.starts_with("GET / ")) return respond("200 OK", "<h1>weak</h1>");
        if (line.starts_with("GET /login ") || line.starts_with("GET /register "))
            return respond("200 OK", form);
        if (line.starts_with("POST /login ")) return respond("401 Unauthorized", "bad credentials");
        if (line.starts_with("GET ")) {
            return respond("404 Not Found",
                           "Traceback (most recent call last):\n  File \"/srv/app.py\", line 3, in "
                           "<module>\n");
        }
        return respond("400 Bad Request", "bad request");
    }

    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// statuses reads "PASS  check  reason" lines of a report into check -> status.
Expected statuses(const std::string& report) {
    Expected out;
    static const std::regex line(R"((PASS|WARN|FAIL)  ([a-z-]+) )");
    for (std::sregex_iterator it(report.begin(), report.end(), line), end; it != end; ++it)
        out[(*it)[2]] = (*it)[1];
    return out;
}

void expect_report(const Run& r, const Expected& expected, int status) {
    EXPECT_EQ(r.status, status) << r.out << r.err;
    const auto got = statuses(r.out);
    EXPECT_EQ(got.size(), 14u) << r.out;
    for (const auto& [check, want] : expected) {
        SCOPED_TRACE(check);
        ASSERT_TRUE(got.count(check)) << r.out;
        EXPECT_EQ(got.at(check), want) << r.out;
    }
}

std::map<std::string, std::string> production_env(const Instance& instance) {
    auto env = instance.env;
    env["BULWARK_ENV"] = "production";
    env["SECRET_KEY"] = bulwark::crypto::random_token(48);
    env["BULWARK_PORT"] = "0";
    // Production asks where account mail goes and what its links say; no mail is sent here.
    env["PUBLIC_URL"] = "https://127.0.0.1/";
    env["SMTP_URL"] = "smtp://127.0.0.1:2525";
    return env;
}

TEST(AuditSite, ReferenceAppInProductionOverTlsIsClean) {
    Instance instance;
    const auto cert = instance.dir / "cert.pem", key = instance.dir / "key.pem";
    const std::string openssl =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
        key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(openssl.c_str()), 0) << "openssl could not make a certificate";

    auto tls_env = production_env(instance);
    tls_env["BULWARK_TLS_CERT"] = cert.string();
    tls_env["BULWARK_TLS_KEY"] = key.string();
    ServeProcess tls(tls_env, instance.dir, "tls");
    const auto tls_port = tls.wait_listening(30s) ? tls.port() : 0;
    ASSERT_NE(tls_port, 0) << tls.stderr_text();
    // The same app in production on plain HTTP: its redirect stage answers the http:// probe.
    ServeProcess plain(production_env(instance), instance.dir, "plain");
    const auto plain_port = plain.wait_listening(30s) ? plain.port() : 0;
    ASSERT_NE(plain_port, 0) << plain.stderr_text();

    const std::string url = "https://127.0.0.1:" + std::to_string(tls_port) + "/";
    auto r = instance.run({"audit", url, "--ca-file", cert.string(), "--http-url",
                           "http://127.0.0.1:" + std::to_string(plain_port) + "/"});
    Expected all_pass;
    for (const auto* check :
         {"https-redirect", "hsts", "csp", "csp-script", "csp-object-base", "frame-protection",
          "content-type-options", "referrer-policy", "session-cookie", "csrf-forms", "csrf-refused",
          "login-rate-limit", "generic-errors", "version-leak"})
        all_pass[check] = "PASS";
    expect_report(r, all_pass, 0);
    EXPECT_NE(r.out.find("grade A"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("__Host-session"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--insecure"), std::string::npos);

    // Without the test CA the certificate is not trusted: nothing can be checked, exit 1.
    auto untrusted = instance.run(
        {"audit", url, "--http-url", "http://127.0.0.1:" + std::to_string(plain_port) + "/"});
    EXPECT_EQ(untrusted.status, 1) << untrusted.out;
    EXPECT_NE(untrusted.out.find("FAIL  csp"), std::string::npos) << untrusted.out;
    // --insecure is explicit and the report says so.
    auto insecure = instance.run({"audit", url, "--insecure", "--http-url",
                                  "http://127.0.0.1:" + std::to_string(plain_port) + "/"});
    EXPECT_NE(insecure.out.find("TLS certificate checks are OFF (--insecure)"), std::string::npos)
        << insecure.out;
    EXPECT_NE(insecure.out.find("PASS  hsts"), std::string::npos) << insecure.out;
}

TEST(AuditSite, ReferenceAppInDevelopmentNamesTransportProblems) {
    Instance instance;
    auto env = instance.env;
    env["BULWARK_PORT"] = "0";
    ServeProcess dev(env, instance.dir, "dev");
    const auto port = dev.wait_listening(30s) ? dev.port() : 0;
    ASSERT_NE(port, 0) << dev.stderr_text();
    auto r = instance.run({"audit", "http://127.0.0.1:" + std::to_string(port) + "/"});
    expect_report(r,
                  {{"https-redirect", "FAIL"},
                   {"hsts", "FAIL"},
                   {"session-cookie", "FAIL"},
                   {"csp-script", "PASS"},
                   {"csrf-forms", "PASS"},
                   {"csrf-refused", "PASS"},
                   {"login-rate-limit", "PASS"},
                   {"version-leak", "PASS"}},
                  1);
    EXPECT_NE(r.out.find("not Secure"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("grade F"), std::string::npos) << r.out;
}

TEST(AuditSite, WeakServerHasEveryProblemNamed) {
    WeakServer weak;
    ASSERT_NE(weak.port(), 0);
    Instance instance;
    auto r = instance.run(
        {"audit", "http://127.0.0.1:" + std::to_string(weak.port()) + "/", "--timeout", "5"});
    expect_report(r,
                  {{"https-redirect", "FAIL"},
                   {"hsts", "FAIL"},
                   {"csp", "PASS"},
                   {"csp-script", "FAIL"},
                   {"csp-object-base", "FAIL"},
                   {"frame-protection", "FAIL"},
                   {"content-type-options", "FAIL"},
                   {"referrer-policy", "FAIL"},
                   {"session-cookie", "FAIL"},
                   {"csrf-forms", "FAIL"},
                   {"csrf-refused", "FAIL"},
                   {"login-rate-limit", "FAIL"},
                   {"generic-errors", "FAIL"},
                   {"version-leak", "FAIL"}},
                  1);
    EXPECT_NE(r.out.find("(21 requests)"), std::string::npos)
        << "6 probes + 15 bad logins, no more: " << r.out;
    EXPECT_EQ(r.out.find("abc123"), std::string::npos) << "the cookie value is never printed";
}

TEST(AuditSite, RefusesUnusableArguments) {
    Instance instance;
    struct Case {
        std::string name;
        std::vector<std::string> args;
    };
    const std::vector<Case> cases = {
        {"file_url", {"audit", "file:///etc/passwd"}},
        {"no_scheme", {"audit", "not a url"}},
        {"gopher", {"audit", "gopher://127.0.0.1/"}},
        {"https_as_http_url",
         {"audit", "https://127.0.0.1:1/", "--http-url", "https://127.0.0.1:2/"}},
        {"relative_login_path", {"audit", "https://127.0.0.1:1/", "--login-path", "login"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = instance.run(c.args);
        EXPECT_EQ(r.status, 1) << r.out << r.err;
        EXPECT_TRUE(r.out.empty()) << "nothing is probed: " << r.out;
    }
}

}  // namespace
