// Streamed request bodies (`.stream_body()`) over real sockets: the body arrives intact and in
// bounded pieces, the limit holds mid-stream, a client that goes away or a handler that stops
// early ends the body cleanly, and the streaming workers are capped.
#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>

#include <gtest/gtest.h>

#include "support/raw_client.hpp"

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>

namespace bulwark {
namespace {

using test_support::RawClient;
using test_support::RunningServer;
using namespace std::chrono_literals;

constexpr std::size_t kLimit = 8 * 1024 * 1024;

// Seen: what the streaming handler observed, shared with the test thread.
struct Seen {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::string head;                  // req.body() as the handler saw it
    std::string body;                  // every piece, joined
    std::size_t pieces = 0;
    std::size_t largest_piece = 0;
    std::optional<BodyError> error;

    bool wait(std::chrono::milliseconds timeout = 5000ms) {
        std::unique_lock lock(mutex);
        return done_cv.wait_for(lock, timeout, [this] { return done; });
    }
};

// add_stream_routes: /up reads the whole stream; /lie reads it and claims success even on an
// error; /early answers without reading; /stall waits for the test before reading.
void add_stream_routes(App& app, const std::shared_ptr<Seen>& seen, std::size_t limit = kLimit) {
    app.post("/up", [seen](Request& req) {
           std::string head = req.body();
           std::string body;
           std::size_t pieces = 0;
           std::size_t largest = 0;
           std::optional<BodyError> error;
           for (;;) {
               auto piece = req.body_stream().next();
               if (!piece) {
                   error = piece.error();
                   break;
               }
               if (piece->empty()) break;
               ++pieces;
               largest = std::max(largest, piece->size());
               body.append(*piece);
           }
           {
               std::lock_guard lock(seen->mutex);
               seen->head = std::move(head);
               seen->body = std::move(body);
               seen->pieces = pieces;
               seen->largest_piece = largest;
               seen->error = error;
               seen->done = true;
           }
           seen->done_cv.notify_all();
           if (error) return Response::text("refused", body_error_status(*error));
           return Response::text(std::to_string(seen->body.size()), 201);
       })
        .body_limit(limit)
        .stream_body();
    app.post("/lie", [](Request& req) {
           while (true) {
               auto piece = req.body_stream().next();
               if (!piece || piece->empty()) break;
           }
           return Response::text("stored", 201);
       })
        .body_limit(1024 * 1024)
        .stream_body();
    app.post("/early", [](Request&) { return Response::text("no thanks", 403); })
        .body_limit(kLimit)
        .stream_body();
    app.post("/buffered", [](Request& req) { return Response::text(std::to_string(req.body().size())); })
        .body_limit(kLimit);
}

int status_of(const std::string& response) {
    if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::stoi(response.substr(9, 3));
}

std::string random_body(std::size_t size) {
    const auto bytes = crypto::random_bytes(size);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string chunked(const std::string& body, std::size_t chunk) {
    std::string out;
    for (std::size_t i = 0; i < body.size(); i += chunk) {
        const auto part = body.substr(i, chunk);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        out += size + part + "\r\n";
    }
    return out + "0\r\n\r\n";
}

TEST(StreamBody, ContentLengthBodyArrivesIntactInBoundedPieces) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    const std::string body = random_body(5 * 1024 * 1024 + 123);
    RawClient client(server.port());
    client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    client.send(body);
    const auto reply = client.read_responses(1, 10000ms);
    EXPECT_EQ(status_of(reply), 201) << reply.substr(0, 200);
    ASSERT_TRUE(seen->wait());
    EXPECT_FALSE(seen->error);
    ASSERT_EQ(seen->body.size(), body.size());
    EXPECT_EQ(crypto::sha256(crypto::as_bytes(seen->body)), crypto::sha256(crypto::as_bytes(body)));
    EXPECT_EQ(seen->head, body.substr(0, kStreamHeadBytes));  // what the pipeline saw
    EXPECT_LE(seen->largest_piece, kStreamPieceBytes);
    EXPECT_GT(seen->pieces, body.size() / kStreamPieceBytes);

    // The body was read whole, so the connection stays open for the next request.
    client.send("POST /buffered HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    const auto second = client.read_responses(1);
    EXPECT_EQ(status_of(second), 200) << second.substr(0, 200);
    EXPECT_FALSE(client.closed());
}

// A Content-Length body is read past the parser (straight into the pieces): it must stop at the
// body's end, so a request sent right behind it, in the same packet, is answered too.
TEST(StreamBody, RequestRightBehindAStreamedBodyIsNotEaten) {
    const std::vector<std::pair<std::string, std::size_t>> cases = {
        {"body within the head", 100},
        {"body just past the head", kStreamHeadBytes + 1},
        {"body of several pieces", 3 * kStreamPieceBytes + 17},
    };
    for (const auto& [name, size] : cases) {
        App app;
        auto seen = std::make_shared<Seen>();
        add_stream_routes(app, seen);
        RunningServer server(app);
        const std::string body = random_body(size);
        RawClient client(server.port());
        client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                    body + "POST /buffered HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        const auto replies = client.read_responses(2, 10000ms);
        EXPECT_EQ(status_of(replies), 201) << name << ": " << replies.substr(0, 200);
        EXPECT_NE(replies.find("\r\n\r\n3"), std::string::npos) << name << ": " << replies.substr(0, 400);
        ASSERT_TRUE(seen->wait()) << name;
        EXPECT_FALSE(seen->error) << name;
        EXPECT_EQ(seen->body, body) << name;
    }
}

// A body that stops arriving is ended by body_timeout (slow-loris on the body), whichever way
// it is read.
TEST(StreamBody, StalledBodyTimesOut) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"content-length", "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                               std::string(kStreamHeadBytes + 5000, 'h')},
        {"chunked", "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        chunked(std::string(kStreamHeadBytes + 5000, 'h'), 4096).substr(0, kStreamHeadBytes + 5000)},
    };
    for (const auto& [name, request] : cases) {
        App app;
        auto seen = std::make_shared<Seen>();
        add_stream_routes(app, seen);
        ServerOptions options;
        options.body_timeout = 300ms;
        RunningServer server(app, options);
        RawClient client(server.port());
        client.send(request);
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(seen->wait(5000ms)) << name;
        EXPECT_EQ(seen->error, BodyError::timeout) << name;
        client.read_until_closed(5000ms);
        EXPECT_TRUE(client.closed()) << name;
        EXPECT_LT(std::chrono::steady_clock::now() - start, 4000ms) << name;
    }
}

TEST(StreamBody, ChunkedBodyArrivesIntact) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    const std::string body = random_body(3 * 1024 * 1024 + 7);
    RawClient client(server.port());
    client.send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n");
    const auto interim = client.read_responses(1);
    EXPECT_EQ(status_of(interim), 100) << interim;
    client.send(chunked(body, 100'000));
    const auto reply = client.read_responses(1, 10000ms);
    EXPECT_EQ(status_of(reply), 201) << reply.substr(0, 200);
    ASSERT_TRUE(seen->wait());
    EXPECT_FALSE(seen->error);
    EXPECT_EQ(crypto::sha256(crypto::as_bytes(seen->body)), crypto::sha256(crypto::as_bytes(body)));
}

TEST(StreamBody, ShortBodyIsAllHead) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    RawClient client(server.port());
    client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(status_of(client.read_responses(1)), 201);
    ASSERT_TRUE(seen->wait());
    EXPECT_EQ(seen->head, "hello");
    EXPECT_EQ(seen->body, "hello");
}

TEST(StreamBody, LimitRefusals) {
    struct Case {
        std::string name;
        std::string request;
        bool handler_runs;
    };
    const std::string big = std::string(kLimit + 1, 'a');
    const std::vector<Case> cases = {
        {"content-length over the limit: 413 before reading",
         "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(kLimit + 1) + "\r\n\r\n", false},
        {"chunked over the limit: 413 mid-stream",
         "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(big, 65536), true},
    };
    for (const auto& k : cases) {
        App app;
        auto seen = std::make_shared<Seen>();
        add_stream_routes(app, seen);
        RunningServer server(app);
        RawClient client(server.port());
        client.send(k.request);
        const auto reply = client.read_until_closed(10000ms);
        EXPECT_EQ(status_of(reply), 413) << k.name << ": " << reply.substr(0, 200);
        EXPECT_EQ(seen->wait(k.handler_runs ? 5000ms : 200ms), k.handler_runs) << k.name;
        if (k.handler_runs) {
            EXPECT_EQ(seen->error, BodyError::too_large) << k.name;
            EXPECT_LE(seen->body.size(), kLimit) << k.name;
        }
    }
}

TEST(StreamBody, ServerAnswersTheBodyErrorWhenTheHandlerClaimsSuccess) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    RawClient client(server.port());
    client.send("POST /lie HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                chunked(std::string(2 * 1024 * 1024, 'b'), 65536));
    const auto reply = client.read_until_closed(10000ms);
    EXPECT_EQ(status_of(reply), 413) << reply.substr(0, 200);
    EXPECT_EQ(reply.find("stored"), std::string::npos);
}

TEST(StreamBody, ClientGoneMidBodyEndsTheStreamWithAborted) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    {
        RawClient client(server.port());
        client.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n");
        client.send(std::string(1'000'000, 'c'));
        std::this_thread::sleep_for(100ms);
    }  // closed with 3 MB still owed
    ASSERT_TRUE(seen->wait());
    EXPECT_EQ(seen->error, BodyError::aborted);
    EXPECT_LT(seen->body.size(), 4'000'000u);
}

TEST(StreamBody, HandlerThatStopsEarlyClosesTheConnection) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    RunningServer server(app);
    RawClient client(server.port());
    client.send("POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n" + std::string(3'000'000, 'd'));
    const auto reply = client.read_until_closed(10000ms);
    EXPECT_EQ(status_of(reply), 403) << reply.substr(0, 200);
    EXPECT_TRUE(client.closed());  // the unread body must not be taken for a next request
}

TEST(StreamBody, SlowStreamsAreCappedSoWorkersStayFree) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    app.get("/", [](Request&) { return Response::text("hello"); });
    ServerOptions options;
    options.max_streaming_bodies = 1;
    RunningServer server(app, options);
    RawClient slow(server.port());
    slow.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + std::string(kStreamHeadBytes + 10, 'e'));
    std::this_thread::sleep_for(200ms);  // its handler now waits for the rest
    RawClient second(server.port());
    second.send("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789");
    const auto refused = second.read_until_closed();
    EXPECT_EQ(status_of(refused), 503) << refused.substr(0, 200);
    EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos);
    RawClient other(server.port());
    other.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_of(other.read_responses(1)), 200);  // ordinary routes are not held up
    slow.send(std::string(100000 - kStreamHeadBytes - 10, 'e'));
    EXPECT_EQ(status_of(slow.read_responses(1, 10000ms)), 201);
}

TEST(StreamBody, TestClientAndBufferedRoutesSeeTheWholeBody) {
    App app;
    auto seen = std::make_shared<Seen>();
    add_stream_routes(app, seen);
    // App::handle directly (as the test client does): body_stream() yields body() in one piece.
    Request req("POST", "/up", Headers{}, std::string(20000, 'f'));
    EXPECT_EQ(app.handle(req).status(), 201);
    ASSERT_TRUE(seen->wait());
    EXPECT_EQ(seen->body.size(), 20000u);
    EXPECT_EQ(seen->head.size(), 20000u);
    EXPECT_EQ(seen->pieces, 1u);

    RunningServer server(app);
    RawClient client(server.port());
    client.send("POST /buffered HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" + std::string(20000, 'g'));
    const auto reply = client.read_responses(1);
    EXPECT_EQ(status_of(reply), 200);
    EXPECT_NE(reply.find("\r\n\r\n20000"), std::string::npos) << reply.substr(0, 300);
}

}  // namespace
}  // namespace bulwark
