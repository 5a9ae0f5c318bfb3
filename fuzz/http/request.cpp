// Raw bytes through the request path: the header-block checks the server makes, Beast's
// parser, the Request built from it, and the whole App::handle with a few routes. Nothing may
// crash, hang or answer 5xx for any input.
#include <bulwark/http.hpp>

#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

const bulwark::App& app() {
    static bulwark::App* instance = [] {
        auto* a = new bulwark::App();
        a->set_access_log({});
        a->get("/", [](bulwark::Request&) { return bulwark::Response::text("home"); });
        a->get("/uploads/<id>", [](bulwark::Request& req) {
            return bulwark::Response::text(std::string(req.param("id")) + std::string(req.query("q").value_or("")));
        });
        a->post("/form", [](bulwark::Request& req) {
            return bulwark::Response::text(std::string(req.cookie("session").value_or("")));
        });
        return a;
    }();
    return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace http = boost::beast::http;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto end = input.find("\r\n\r\n");
    if (end == std::string_view::npos || end + 4 > 16 * 1024) return 0;
    const std::string_view block = input.substr(0, end + 2);
    if (block.find("\r\n ") != std::string_view::npos || block.find("\r\n\t") != std::string_view::npos) return 0;

    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024 + 4);
    parser.body_limit(64 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(input.data(), input.size()), ec);
    if (ec || !parser.is_header_done()) return 0;
    const auto& message = parser.get();
    bulwark::Headers headers;
    for (const auto& field : message) headers.add(field.name_string(), field.value());
    bulwark::Request req(std::string(message.method_string()), std::string(message.target()),
                         std::move(headers), parser.is_done() ? message.body() : std::string());
    req.set_client("127.0.0.1", false);
    const bulwark::Response response = app().handle(req);
    if (response.status() >= 500) std::abort();
    return 0;
}
