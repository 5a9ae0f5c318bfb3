// The server over real sockets on loopback: keep-alive, pipelining, limits, smuggling
// shapes, timeouts, overload and graceful shutdown.
#include <bulwark/http.hpp>

#include <gtest/gtest.h>

#include "support/raw_client.hpp"

#include <atomic>
#include <future>

namespace bulwark {
namespace {

using test_support::RawClient;
using test_support::RunningServer;
using namespace std::chrono_literals;

void add_routes(App& app) {
    app.get("/", [](Request&) { return Response::text("hello"); });
    app.get("/inline", [](Request&) { return Response::text("fast"); }).inline_handler();
    app.post("/echo", [](Request& req) { return Response::text(req.body()); }).body_limit(64);
    app.get("/slow", [](Request&) {
        std::this_thread::sleep_for(400ms);
        return Response::text("done");
    });
    app.get("/boom", [](Request&) -> Response { throw std::runtime_error("database password is hunter2"); });
}

int status_of(const std::string& response) {
    if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::stoi(response.substr(9, 3));
}

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
    App app;
    add_routes(app);
    RunningServer server(app);
    RawClient client(server.port());
    for (int i = 0; i < 3; ++i) {
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = client.read_responses(1);
        EXPECT_EQ(status_of(r), 200);
        EXPECT_NE(r.find("hello"), std::string::npos);
    }
    EXPECT_FALSE(client.closed());
}

TEST(Server, PipelinedRequestsAnsweredInOrder) {
    App app;
    add_routes(app);
    RunningServer server(app);
    RawClient client(server.port());
    client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /inline HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    const auto r = client.read_responses(3);
    ASSERT_EQ(RawClient::complete_responses(r), 3) << r;
    const auto done = r.find("done");
    const auto fast = r.find("fast");
    const auto abc = r.find("abc");
    EXPECT_LT(done, fast);
    EXPECT_LT(fast, abc);
}

TEST(Server, RefusalsOverTheSocket) {
    App app;
    add_routes(app);
    RunningServer server(app);
    const struct {
        const char* name;
        std::string request;
        int status;
    } cases[] = {
        {"headers_over_16k", "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + std::string(17000, 'a') + "\r\n\r\n", 431},
        {"content_length_over_route_limit", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n", 413},
        {"chunked_over_route_limit",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') +
             "\r\n1\r\nb\r\n0\r\n\r\n",
         413},
        {"content_length_and_chunked",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"chunked_and_content_length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400},
        {"two_different_content_lengths",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {"obsolete_line_folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", 400},
        {"bad_chunk_size", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
        {"transfer_encoding_not_chunked", "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        {"transfer_encoding_chunked_twice",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {"garbage_request_line", "GARBAGE\r\n\r\n", 400},
        {"http_2_preface_version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400},
        {"negative_content_length", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        RawClient client(server.port());
        client.send(c.request);
        const auto r = client.read_until_closed();
        EXPECT_EQ(status_of(r), c.status) << r.substr(0, 200);
        EXPECT_TRUE(client.closed()) << "the connection must close after a refusal";
        EXPECT_EQ(r.find("Server:"), std::string::npos);
    }
}

TEST(Server, ExpectContinueAndChunkedBodyWithinLimit) {
    App app;
    add_routes(app);
    RunningServer server(app);
    RawClient client(server.port());
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    const auto interim = client.read_responses(1, 1000ms);
    EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue", 0), 0u) << interim;
    client.send("hi");
    EXPECT_NE(client.read_responses(1).find("hi"), std::string::npos);
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_NE(client.read_responses(1).find("abc"), std::string::npos);
}

TEST(Server, SlowHeadersAreDisconnected) {
    App app;
    add_routes(app);
    ServerOptions options;
    options.header_timeout = 300ms;
    options.idle_timeout = 300ms;
    RunningServer server(app, options);
    RawClient client(server.port());
    client.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
    const auto started = std::chrono::steady_clock::now();
    client.read_until_closed(3000ms);
    EXPECT_TRUE(client.closed());
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2000ms);
}

TEST(Server, HandlerExceptionIsGeneric500) {
    App app;
    add_routes(app);
    std::string logged;
    app.set_error_log([&](std::string_view, std::string_view what) { logged = what; });
    RunningServer server(app);
    RawClient client(server.port());
    client.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = client.read_responses(1);
    EXPECT_EQ(status_of(r), 500);
    EXPECT_EQ(r.find("hunter2"), std::string::npos);
    EXPECT_NE(r.find("Request id"), std::string::npos);
    server.stop();
    EXPECT_NE(logged.find("hunter2"), std::string::npos);  // to the server log only
}

TEST(Server, FullWorkerQueueAnswers503WithRetryAfter) {
    App app;
    add_routes(app);
    ServerOptions options;
    options.worker_threads = 1;
    options.worker_queue_limit = 1;
    RunningServer server(app, options);
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<RawClient>(server.port()));
        clients.back()->send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    int busy = 0;
    int ok = 0;
    for (auto& c : clients) {
        const auto r = c->read_responses(1, 3000ms);
        if (status_of(r) == 503) {
            ++busy;
            EXPECT_NE(r.find("Retry-After: 1"), std::string::npos);
        }
        if (status_of(r) == 200) ++ok;
    }
    EXPECT_GE(busy, 1);
    EXPECT_GE(ok, 1);
}

TEST(Server, GracefulShutdownFinishesRequestsInFlight) {
    App app;
    add_routes(app);
    auto server = std::make_unique<RunningServer>(app);
    RawClient busy(server->port());
    RawClient idle(server->port());
    busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(100ms);
    auto stopped = std::async(std::launch::async, [&] { server->stop(); });
    const auto r = busy.read_responses(1);
    EXPECT_EQ(status_of(r), 200);
    EXPECT_NE(r.find("done"), std::string::npos);
    EXPECT_EQ(stopped.wait_for(5s), std::future_status::ready);
    idle.read_until_closed(1000ms);
    EXPECT_TRUE(idle.closed());
}

TEST(Server, ConnectionLimitRefusesExtraConnections) {
    App app;
    add_routes(app);
    ServerOptions options;
    options.max_connections = 1;
    RunningServer server(app, options);
    RawClient first(server.port());
    first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(status_of(first.read_responses(1)), 200);
    RawClient second(server.port());
    second.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    second.read_until_closed(1000ms);
    EXPECT_TRUE(second.closed());
}

}  // namespace
}  // namespace bulwark

namespace bulwark {
namespace {

// The response head is written by the server in one piece: these are the framing rules it owns.
// A shared header block is written as rendered, after the response's own fields; a block that
// names a framing field is filtered like any field (the server alone frames the message).
TEST(ServerFraming, SharedHeaderBlocks) {
    App app;
    const auto clean = std::make_shared<const HeaderBlock>(std::vector<Headers::Field>{{"X-Frame-Options", "DENY"}, {"X-B", "2"}});
    const auto framing = std::make_shared<const HeaderBlock>(
        std::vector<Headers::Field>{{"X-Frame-Options", "DENY"}, {"content-length", "999"}, {"Connection", "close"}});
    app.get("/clean", [clean](Request&) {
        auto r = Response::text("abc");
        r.headers().add_block(clean);
        r.headers().add("X-After", "1");
        return r;
    });
    app.get("/framing", [framing](Request&) {
        auto r = Response::text("abc");
        r.headers().add_block(framing);
        return r;
    });
    RunningServer server(app);
    struct Case {
        const char* target;
        const char* want;
    };
    for (const auto& c : {Case{"/clean", "\r\nX-After: 1\r\nX-Frame-Options: DENY\r\nX-B: 2\r\n"},
                          Case{"/framing", "\r\nX-Frame-Options: DENY\r\nContent-Length: 3\r\n\r\nabc"}}) {
        SCOPED_TRACE(c.target);
        RawClient client(server.port());
        client.send(std::string("GET ") + c.target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = client.read_responses(1);
        EXPECT_EQ(status_of(r), 200);
        EXPECT_NE(r.find(c.want), std::string::npos) << r;
        EXPECT_EQ(r.find("999"), std::string::npos) << r;
        EXPECT_EQ(r.find("Connection: close"), std::string::npos) << r;
        EXPECT_FALSE(client.closed());
    }
}

TEST(ServerFraming, HeadNoContentHandlerFramingAndCookies) {
    App app;
    app.get("/", [](Request&) { return Response::text("hello"); });
    app.get("/none", [](Request&) { return Response::empty(204); });
    app.get("/framing", [](Request&) {
        auto r = Response::text("abc");
        r.headers().set("Content-Length", "999");
        r.headers().set("Connection", "close");
        r.headers().add("X-One", "1");
        r.headers().add("X-One", "2");
        // Framing fields in any case are dropped; fields of the same lengths are kept.
        r.headers().add("transfer-ENCODING", "chunked");
        r.headers().add("Connectiox", "10");
        r.headers().add("Content-Lengtx", "14");
        r.headers().add("Transfer-Encodinx", "17");
        r.set_cookie(Cookie{.name = "c", .value = "v"});
        return r;
    });
    app.get("/bad-cookie", [](Request&) {
        auto r = Response::text("x");
        r.set_cookie(Cookie{.name = "c", .value = "v;\r\nInjected: yes"});
        return r;
    });
    RunningServer server(app);
    {
        SCOPED_TRACE("HEAD: the GET's length, no body");
        RawClient client(server.port());
        client.send("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        const auto r = client.read_until_closed();
        EXPECT_EQ(status_of(r), 200);
        EXPECT_NE(r.find("\r\nContent-Length: 5\r\n"), std::string::npos) << r;
        EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos) << r;
        EXPECT_EQ(r.size(), r.find("\r\n\r\n") + 4) << "a HEAD answer carried a body";
    }
    {
        SCOPED_TRACE("204: no Content-Length, no body, the connection stays usable");
        RawClient client(server.port());
        client.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = client.read_responses(2);
        EXPECT_EQ(r.rfind("HTTP/1.1 204 No Content\r\n", 0), 0u) << r;
        const auto first_end = r.find("\r\n\r\n");
        EXPECT_EQ(r.substr(0, first_end).find("Content-Length"), std::string::npos) << r;
        EXPECT_EQ(r.compare(first_end + 4, 17, "HTTP/1.1 200 OK\r\n"), 0) << r;
        EXPECT_FALSE(client.closed());
    }
    {
        SCOPED_TRACE("a handler's framing fields are ignored; repeated fields and cookies kept");
        RawClient client(server.port());
        client.send("GET /framing HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = client.read_responses(2);
        const auto head = r.substr(0, r.find("\r\n\r\n") + 4);
        EXPECT_EQ(head.find("999"), std::string::npos) << head;
        EXPECT_EQ(head.find("Connection"), std::string::npos) << head;
        EXPECT_NE(head.find("\r\nContent-Length: 3\r\n"), std::string::npos) << head;
        EXPECT_NE(head.find("\r\nX-One: 1\r\nX-One: 2\r\n"), std::string::npos) << head;
        EXPECT_EQ(head.find("chunked"), std::string::npos) << head;
        EXPECT_NE(head.find("\r\nConnectiox: 10\r\nContent-Lengtx: 14\r\nTransfer-Encodinx: 17\r\n"),
                  std::string::npos)
            << head;
        EXPECT_NE(head.find("\r\nSet-Cookie: c=v"), std::string::npos) << head;
        EXPECT_NE(r.find("hello"), std::string::npos) << "the second answer did not follow";
    }
    {
        SCOPED_TRACE("a cookie that cannot be sent safely gives a generic 500");
        RawClient client(server.port());
        client.send("GET /bad-cookie HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = client.read_responses(1);
        EXPECT_EQ(status_of(r), 500) << r;
        EXPECT_EQ(r.find("Injected"), std::string::npos) << r;
    }
}

}  // namespace
}  // namespace bulwark
