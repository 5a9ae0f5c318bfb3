// TLS over loopback with a certificate the test makes: 1.2 and 1.3 work, 1.0 and 1.1 do not.
#include <bulwark/http.hpp>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "support/raw_client.hpp"

#include <cstdlib>
#include <filesystem>

namespace bulwark {
namespace {

namespace fs = std::filesystem;

struct Certificate {
    fs::path dir;
    std::string cert;
    std::string key;
};

Certificate make_certificate() {
    Certificate c;
    c.dir = fs::temp_directory_path() / ("bulwark-tls-" + std::to_string(::getpid()));
    fs::create_directories(c.dir);
    c.cert = (c.dir / "cert.pem").string();
    c.key = (c.dir / "key.pem").string();
    const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                            "-subj /CN=localhost -keyout " + c.key + " -out " + c.cert + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    return c;
}

// handshake connects with the given protocol range and returns the negotiated version, or 0.
int handshake(std::uint16_t port, int min_version, int max_version, std::string* reply = nullptr) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    // Let the client offer old protocols, so that a refusal comes from the server.
    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    int version = 0;
    if (SSL_connect(ssl) == 1) {
        version = SSL_version(ssl);
        if (reply) {
            const std::string req = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            SSL_write(ssl, req.data(), static_cast<int>(req.size()));
            char buf[4096];
            int n = 0;
            while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) reply->append(buf, static_cast<std::size_t>(n));
        }
    }
    ERR_clear_error();
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
    return version;
}

TEST(Tls, ModernVersionsOnly) {
    const Certificate cert = make_certificate();
    App app;
    app.get("/", [](Request& req) { return Response::text(req.is_https() ? "https" : "http"); });
    ServerOptions options;
    options.tls_certificate = cert.cert;
    options.tls_private_key = cert.key;
    test_support::RunningServer server(app, options);

    std::string reply;
    EXPECT_EQ(handshake(server.port(), TLS1_3_VERSION, TLS1_3_VERSION, &reply), TLS1_3_VERSION);
    EXPECT_NE(reply.find("https"), std::string::npos) << reply;
    EXPECT_EQ(handshake(server.port(), TLS1_2_VERSION, TLS1_2_VERSION), TLS1_2_VERSION);
    EXPECT_EQ(handshake(server.port(), TLS1_1_VERSION, TLS1_1_VERSION), 0);
    EXPECT_EQ(handshake(server.port(), TLS1_VERSION, TLS1_VERSION), 0);
    server.stop();
    fs::remove_all(cert.dir);
}

TEST(Tls, SighupReloadsTheCertificateWithoutDroppingConnections) {
    const Certificate cert = make_certificate();
    App app;
    app.get("/", [](Request&) { return Response::text("ok"); });
    ServerOptions options;
    options.tls_certificate = cert.cert;
    options.tls_private_key = cert.key;
    test_support::RunningServer server(app, options);
    ASSERT_EQ(::raise(SIGHUP), 0);  // the server's signal set takes it; the process goes on
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(handshake(server.port(), TLS1_2_VERSION, TLS1_3_VERSION), TLS1_3_VERSION);
    server.stop();
    fs::remove_all(cert.dir);
}

TEST(Tls, MissingCertificateRefusesToStart) {
    App app;
    ServerOptions options;
    options.port = 0;
    options.tls_certificate = "/nonexistent/cert.pem";
    options.tls_private_key = "/nonexistent/key.pem";
    EXPECT_THROW(app.run(options), std::runtime_error);
}

}  // namespace
}  // namespace bulwark
