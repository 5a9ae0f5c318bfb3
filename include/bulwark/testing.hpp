// bulwark/testing.hpp: a test client that sends requests through the whole pipeline in
// process, without sockets, like Flask's app.test_client().
//
// It keeps a cookie jar, builds forms, JSON and multipart bodies, and applies the server's
// own header and body limits (431, 413), so a test sees what a real client would.
//
//     bulwark::testing::TestClient client(app);
//     auto page = client.get("/login");
//     auto r = client.post_form("/login", {{"username", "ada"}, {"password", "..."}});
//     EXPECT_EQ(r.status, 303);
#pragma once

#include <bulwark/http.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::testing {

// TestResponse: what came back.
struct TestResponse {
    int status = 0;
    Headers headers;
    std::string body;
    std::vector<std::string> set_cookies;  // the serialized Set-Cookie values

    std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
};

// UploadFile: one file part of a multipart body.
struct UploadFile {
    std::string field;
    std::string filename;
    std::string content_type;
    std::string content;
};

using Fields = std::vector<std::pair<std::string, std::string>>;

// TestClient: not thread-safe; one per test.
class TestClient {
public:
    // client_address and https describe the simulated connection.
    explicit TestClient(const App& app, std::string client_address = "127.0.0.1", bool https = false);

    TestResponse get(std::string_view target, const Headers& extra = {});
    TestResponse post_form(std::string_view target, const Fields& fields, const Headers& extra = {});
    TestResponse post_json(std::string_view target, std::string json, const Headers& extra = {});
    TestResponse post_multipart(std::string_view target, const Fields& fields,
                                const std::vector<UploadFile>& files, const Headers& extra = {});
    // request sends anything; the cookie jar adds its Cookie header.
    TestResponse request(std::string_view method, std::string_view target, Headers headers,
                         std::string body);

    // The cookie jar: what Set-Cookie stored (a Max-Age of 0 removes).
    std::optional<std::string> cookie(const std::string& name) const;
    void set_cookie(const std::string& name, const std::string& value) { jar_[name] = value; }
    void clear_cookies() { jar_.clear(); }

    // form_encode percent-encodes fields as application/x-www-form-urlencoded.
    static std::string form_encode(const Fields& fields);

    // header_limit is the server's limit this client enforces (431), as ServerOptions' default.
    std::size_t header_limit = ServerOptions{}.header_limit;

private:
    void remember_cookies(const Response& response);

    const App& app_;
    std::string client_address_;
    bool https_;
    std::map<std::string, std::string> jar_;
};

}  // namespace bulwark::testing
