// POST /upload over a real socket: the body streams into the upload folder (never whole in
// memory), arrives intact, and every refusal mid-stream (413, client gone) leaves no file behind.
#include "fixture.hpp"
#include "support/raw_client.hpp"

#include <bulwark/crypto.hpp>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

namespace {

using bulwark::testing::TestClient;
using bulwark::test_support::RawClient;
using bulwark::test_support::RunningServer;
using namespace std::chrono_literals;
using reference_test::kPassword;
using reference_test::token_in;

// Session: a user logged in through the forms in process; its cookie and CSRF token then go
// over the socket (the server and the in-process client share the app and its stores).
struct Session {
    std::string cookie;
    std::string token;
};

Session log_in(bulwark::App& app, const std::string& name) {
    TestClient c(app);
    auto r = c.post_form("/register", {{"username", name}, {"email", name + "@example.com"},
                                       {"password", kPassword}, {"csrf_token", token_in(c.get("/register").body)}});
    EXPECT_EQ(r.status, 303) << r.body;
    r = c.post_form("/login", {{"username", name}, {"password", kPassword},
                               {"csrf_token", token_in(c.get("/login").body)}});
    EXPECT_EQ(r.status, 303) << r.body;
    return {"session=" + c.cookie("session").value_or(""), token_in(c.get("/").body)};
}

// A PNG that libmagic and the pixel check accept (1x1), then `size` bytes of filler.
std::string png_of_size(std::size_t size) {
    static const unsigned char header[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                           0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89};
    std::string png(reinterpret_cast<const char*>(header), sizeof header);
    const auto filler = bulwark::crypto::random_bytes(size - png.size());
    png.append(reinterpret_cast<const char*>(filler.data()), filler.size());
    return png;
}

struct Multipart {
    std::string head;  // request line and headers, without Content-Length / Transfer-Encoding
    std::string body;
};

Multipart upload_request(const Session& s, const std::string& file, bool token_first = true) {
    const std::string boundary = "stream-" + bulwark::crypto::random_token(8);
    const std::string token = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" +
                              s.token + "\r\n";
    const std::string part = "--" + boundary +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n"
                             "Content-Type: image/png\r\n\r\n" + file + "\r\n";
    Multipart m;
    m.head = "POST /upload HTTP/1.1\r\nHost: localhost\r\nCookie: " + s.cookie +
             "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n";
    m.body = token_first ? token + part : part + token;
    m.body += "--" + boundary + "--\r\n";
    return m;
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

int status_of(const std::string& response) {
    if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
    return std::stoi(response.substr(9, 3));
}

std::size_t files_in(const std::filesystem::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
    return n;
}

// wait_for_files polls: the handler's worker may still be unwinding when the socket closes.
std::size_t wait_for_files(const std::filesystem::path& dir, std::size_t expected) {
    for (int i = 0; i < 100 && files_in(dir) != expected; ++i) std::this_thread::sleep_for(50ms);
    return files_in(dir);
}

constexpr std::size_t kLimit = 6 * 1024 * 1024;

struct UploadStream : ::testing::Test {
    reference_test::App a{std::map<std::string, std::string>{{"MAX_CONTENT_LENGTH", std::to_string(kLimit)}}};
    std::filesystem::path uploads = a.dir / "uploads";
};

TEST_F(UploadStream, MultiMegabyteUploadArrivesIntact) {
    const Session s = log_in(a.app, "streamer");
    RunningServer server(a.app);
    const std::string file = png_of_size(5 * 1024 * 1024 + 17);
    struct Case {
        std::string name;
        bool chunked;
    };
    for (const auto& k : std::vector<Case>{{"content-length", false}, {"chunked", true}}) {
        const auto m = upload_request(s, file);
        RawClient client(server.port());
        if (k.chunked) {
            client.send(m.head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked(m.body, 300'000));
        } else {
            client.send(m.head + "Content-Length: " + std::to_string(m.body.size()) +
                        "\r\nConnection: close\r\n\r\n" + m.body);
        }
        const auto reply = client.read_until_closed(20000ms);
        ASSERT_EQ(status_of(reply), 201) << k.name << ": " << reply.substr(0, 400);
        const auto meta = boost::json::parse(reply.substr(reply.find("\r\n\r\n") + 4)).as_object();
        EXPECT_EQ(meta.at("size").to_number<std::size_t>(), file.size()) << k.name;
        const auto id = std::string(meta.at("id").as_string());
        std::ifstream stored(uploads / id, std::ios::binary);
        const std::string got((std::istreambuf_iterator<char>(stored)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bulwark::crypto::sha256(bulwark::crypto::as_bytes(got)),
                  bulwark::crypto::sha256(bulwark::crypto::as_bytes(file))) << k.name;
        EXPECT_EQ(std::filesystem::status(uploads / id).permissions() & std::filesystem::perms::all,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write) << k.name;
    }
    EXPECT_EQ(files_in(uploads), 2u);  // the two stored files, no temporary left over
}

TEST_F(UploadStream, RefusalsMidStreamLeaveNoFile) {
    const Session s = log_in(a.app, "refused");
    RunningServer server(a.app);
    const auto over = upload_request(s, png_of_size(kLimit + 1024));
    const auto fits = upload_request(s, png_of_size(4 * 1024 * 1024));
    const auto token_last = upload_request(s, png_of_size(64 * 1024), false);
    struct Case {
        std::string name;
        std::string request;
        int status;
    };
    const std::vector<Case> cases = {
        {"content-length over MAX_CONTENT_LENGTH: 413 before the body",
         over.head + "Content-Length: " + std::to_string(over.body.size()) + "\r\n\r\n", 413},
        {"chunked over MAX_CONTENT_LENGTH: 413 mid-stream",
         over.head + "Transfer-Encoding: chunked\r\n\r\n" + chunked(over.body, 65536), 413},
        {"csrf token after the file: refused before the handler",
         token_last.head + "Content-Length: " + std::to_string(token_last.body.size()) + "\r\n\r\n" + token_last.body, 400},
        {"no session: refused before the body",
         "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\n"
         "Content-Length: " + std::to_string(fits.body.size()) + "\r\n\r\n" + fits.body, 400},
    };
    for (const auto& k : cases) {
        RawClient client(server.port());
        client.send(k.request);
        const auto reply = client.read_until_closed(10000ms);
        EXPECT_EQ(status_of(reply), k.status) << k.name << ": " << reply.substr(0, 400);
        EXPECT_EQ(wait_for_files(uploads, 0), 0u) << k.name;
    }
}

TEST_F(UploadStream, ClientGoneMidBodyLeavesNoFile) {
    const Session s = log_in(a.app, "leaver");
    RunningServer server(a.app);
    const auto m = upload_request(s, png_of_size(4 * 1024 * 1024));
    {
        RawClient client(server.port());
        client.send(m.head + "Content-Length: " + std::to_string(m.body.size()) + "\r\n\r\n" +
                    m.body.substr(0, 2 * 1024 * 1024));
        // The temporary file exists while the body streams...
        for (int i = 0; i < 100 && files_in(uploads) == 0; ++i) std::this_thread::sleep_for(20ms);
        EXPECT_EQ(files_in(uploads), 1u);
    }  // ...and the client goes away with 2 MiB still owed
    EXPECT_EQ(wait_for_files(uploads, 0), 0u);
}

}  // namespace
