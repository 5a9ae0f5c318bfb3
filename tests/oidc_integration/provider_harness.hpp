// A real OpenID Connect provider for the tests (provider.py, on python3-authlib), started on
// loopback over HTTPS with a throw-away CA and certificate made here with openssl, and a tiny
// libcurl "browser" for its authorization endpoint. Used by test_oidc_integration and by the
// reference app's OIDC tests.
#pragma once

#include <bulwark/crypto.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <curl/curl.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace oidc_provider {

inline const std::string kClientId = "bulwark-reference";
inline const std::string kClientSecret = "provider-test-secret-0123456789";

// run runs a fixed command line of our own (paths are from temp_directory_path and random hex).
inline void run(const std::string& command) {
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

struct BrowserResponse {
    long status = 0;
    std::string location;
    std::string body;
};

class Provider {
public:
    Provider() {
        dir_ = std::filesystem::temp_directory_path() / ("bulwark-oidc-" + bulwark::crypto::random_token(8));
        std::filesystem::create_directories(dir_);
        const std::string d = dir_.string();
        const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        run("openssl req -x509 " + ec + " -keyout " + d + "/ca.key -out " + d + "/ca.pem -days 1 -subj '/CN=Bulwark OIDC Test CA'"
            " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
        run("openssl req " + ec + " -keyout " + d + "/server.key -out " + d + "/server.csr -subj /CN=127.0.0.1");
        std::ofstream(dir_ / "ext.cnf") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                           "extendedKeyUsage=serverAuth\n";
        run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial -out " +
            d + "/server.pem -days 1 -extfile " + d + "/ext.cnf");
        start();
    }
    ~Provider() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) ::close(out_);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;

    std::string issuer() const { return "https://127.0.0.1:" + std::to_string(port_); }
    std::string ca_file() const { return (dir_ / "ca.pem").string(); }
    std::uint16_t port() const { return port_; }

    // browse: one GET with the test CA trusted, redirects not followed (we read Location).
    BrowserResponse browse(const std::string& url) const {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
        BrowserResponse r;
        CURL* h = curl.get();
        const std::string ca = ca_file();
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_CAINFO, ca.c_str());
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
            static_cast<std::string*>(u)->append(p, s * n);
            return s * n;
        });
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
        if (curl_easy_perform(h) != CURLE_OK) throw std::runtime_error("browse failed: " + url);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
        char* location = nullptr;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
        if (location) r.location = location;
        return r;
    }

    // stats: what the provider saw ({"jwks_fetches": n, "token_requests": [...]}).
    boost::json::object stats() const { return boost::json::parse(browse(issuer() + "/_test/stats").body).as_object(); }

private:
    void start() {
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error("pipe");
        // ctest runs the tests from the source folder (bulwark_test sets WORKING_DIRECTORY).
        const std::string script = "tests/oidc_integration/provider.py";
        const std::string cert = (dir_ / "server.pem").string(), key = (dir_ / "server.key").string();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            ::close(fds[0]);
            ::close(fds[1]);
            // Debian's interpreter: python3-authlib lives in its dist-packages.
            ::execl("/usr/bin/python3", "python3", script.c_str(), "--cert", cert.c_str(), "--key", key.c_str(),
                    "--client-id", kClientId.c_str(), "--client-secret", kClientSecret.c_str(), "--redirect-uri",
                    "http://127.0.0.1:*", "--redirect-uri", "http://localhost/*", "--redirect-uri",
                    "https://app.example.com/login/oidc/callback", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
        std::string line;
        pollfd p{out_, POLLIN, 0};
        while (line.find('\n') == std::string::npos) {
            if (::poll(&p, 1, 60000) <= 0) throw std::runtime_error("the OIDC provider did not start");
            char buf[64];
            const auto n = ::read(out_, buf, sizeof buf);
            if (n <= 0) throw std::runtime_error("the OIDC provider exited (is python3-authlib installed?)");
            line.append(buf, static_cast<std::size_t>(n));
        }
        if (line.rfind("PORT ", 0) != 0) throw std::runtime_error("the OIDC provider said: " + line);
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));
    }

    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int out_ = -1;
    std::uint16_t port_ = 0;
};

// query_of: the query parameters of a URL (decoded).
inline std::map<std::string, std::string> query_of(const std::string& url) {
    std::map<std::string, std::string> out;
    auto u = boost::urls::parse_uri_reference(url);
    if (!u) return out;
    for (auto p : u->params()) out[p.key] = p.value;
    return out;
}

}  // namespace oidc_provider
