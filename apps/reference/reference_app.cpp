#include "reference_app.hpp"

namespace reference {

void build(bulwark::App& app, const bulwark::Config& config) {
    const std::string mode = config.is_production() ? "production" : "development";
    app.get("/", [mode](bulwark::Request&) {
        return bulwark::Response::html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bulwark</title></head>"
            "<body><h1>Bulwark reference app</h1><p>The reference app is running (" + mode +
            " mode).</p></body></html>\n");
    }).inline_handler();
}

}  // namespace reference
