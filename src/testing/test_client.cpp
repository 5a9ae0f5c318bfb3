#include <bulwark/crypto.hpp>
#include <bulwark/testing.hpp>

namespace bulwark::testing {

TestClient::TestClient(const App& app, std::string client_address, bool https)
    : app_(app), client_address_(std::move(client_address)), https_(https) {
    app_.check_configuration();  // as App::run does: a misconfigured app fails here, not mid-test
}

TestResponse TestClient::get(std::string_view target, const Headers& extra) {
    return request("GET", target, extra, {});
}

TestResponse TestClient::post_form(std::string_view target, const Fields& fields, const Headers& extra) {
    Headers headers = extra;
    headers.set("Content-Type", "application/x-www-form-urlencoded");
    return request("POST", target, std::move(headers), form_encode(fields));
}

TestResponse TestClient::post_json(std::string_view target, std::string json, const Headers& extra) {
    Headers headers = extra;
    headers.set("Content-Type", "application/json");
    return request("POST", target, std::move(headers), std::move(json));
}

TestResponse TestClient::post_multipart(std::string_view target, const Fields& fields,
                                        const std::vector<UploadFile>& files, const Headers& extra) {
    const std::string boundary = "bulwark-test-" + crypto::random_token(12);
    std::string body;
    for (const auto& [name, value] : fields) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n";
        body += value + "\r\n";
    }
    for (const auto& file : files) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file.field +
                "\"; filename=\"" + file.filename + "\"\r\nContent-Type: " + file.content_type +
                "\r\n\r\n";
        body += file.content + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    Headers headers = extra;
    headers.set("Content-Type", "multipart/form-data; boundary=" + boundary);
    return request("POST", target, std::move(headers), std::move(body));
}

TestResponse TestClient::request(std::string_view method, std::string_view target, Headers headers,
                                 std::string body) {
    if (!jar_.empty() && !headers.contains("Cookie")) {
        std::string cookie_header;
        for (const auto& [name, value] : jar_) {
            if (!cookie_header.empty()) cookie_header += "; ";
            cookie_header += name + "=" + value;
        }
        headers.set("Cookie", cookie_header);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        headers.set("Content-Length", std::to_string(body.size()));
    if (!headers.contains("Host")) headers.set("Host", "localhost");

    // The server's own limits, so that tests see 431 and 413 as a socket client would.
    std::size_t header_bytes = method.size() + target.size() + 12;
    for (const auto& [name, value] : headers.fields()) header_bytes += name.size() + value.size() + 4;

    Request req(std::string(method), std::string(target), std::move(headers), std::string());
    req.set_client(client_address_, https_);
    Response response;
    if (header_bytes > header_limit) {
        response = app_.reject(req, 431);
    } else {
        const RouteOptions* route = app_.match_options(req.method(), req.path());
        const std::size_t limit = route ? route->body_limit : RouteOptions{}.body_limit;
        if (body.size() > limit) {
            response = app_.reject(req, 413);
        } else {
            req.set_body(std::move(body));
            response = app_.handle(req);
        }
    }
    remember_cookies(response);
    TestResponse out;
    out.status = response.status();
    out.headers = response.headers();
    for (const auto& cookie : response.cookies()) {
        out.set_cookies.push_back(cookie.serialize());
        out.headers.add("Set-Cookie", out.set_cookies.back());
    }
    if (method != "HEAD") out.body = response.body();  // as the server: the length, not the bytes
    return out;
}

std::optional<std::string> TestClient::cookie(const std::string& name) const {
    auto it = jar_.find(name);
    if (it == jar_.end()) return std::nullopt;
    return it->second;
}

void TestClient::remember_cookies(const Response& response) {
    for (const auto& cookie : response.cookies()) {
        if (cookie.max_age && cookie.max_age->count() <= 0) {
            jar_.erase(cookie.name);
        } else {
            jar_[cookie.name] = cookie.value;
        }
    }
}

std::string TestClient::form_encode(const Fields& fields) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const auto& [name, value] : fields) {
        if (!out.empty()) out += '&';
        for (const std::string* part : {&name, &value}) {
            for (unsigned char c : *part) {
                if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                    out += static_cast<char>(c);
                } else if (c == ' ') {
                    out += '+';
                } else {
                    out += '%';
                    out += kHex[c >> 4];
                    out += kHex[c & 15];
                }
            }
            if (part == &name) out += '=';
        }
    }
    return out;
}

}  // namespace bulwark::testing
