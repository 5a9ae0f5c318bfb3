// The reference app over a real loopback socket: the server's own path, not only App::handle.
#include "fixture.hpp"
#include "support/raw_client.hpp"

#include <gtest/gtest.h>

class ReferenceSocket : public reference_test::BackendTest {};

TEST_P(ReferenceSocket, HomeAndApiLoginOverTcp) {
    reference_test::App a(GetParam());
    bulwark::test_support::RunningServer server(a.app);
    {
        bulwark::test_support::RawClient client(server.port());
        client.send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        const auto reply = client.read_until_closed();
        EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 200);
        EXPECT_NE(reply.find("Content-Security-Policy: "), std::string::npos);
        EXPECT_NE(reply.find("X-Frame-Options: SAMEORIGIN"), std::string::npos);
        EXPECT_EQ(reply.find("\r\nServer:"), std::string::npos);
        EXPECT_NE(reply.find("Bulwark reference app"), std::string::npos);
    }
    {
        bulwark::test_support::RawClient client(server.port());
        const std::string body = R"({"username": "nobody", "password": "wrong password"})";
        client.send("POST /api/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        const auto reply = client.read_until_closed();
        EXPECT_EQ(reply.rfind("HTTP/1.1 401", 0), 0u) << reply.substr(0, 200);
        EXPECT_NE(reply.find(R"("msg":"Bad credentials")"), std::string::npos);
        EXPECT_NE(reply.find("X-RateLimit-Remaining: 4"), std::string::npos);
    }
    server.stop();
}

INSTANTIATE_TEST_SUITE_P(, ReferenceSocket, reference_test::backends(), reference_test::backend_name);
