// bench_http_app: the Bulwark side of `make bench` (scripts/run-bench).
//
// A tiny app with two routes that answer the same small text through the default pipeline:
// "/inline" runs on the I/O thread (`.inline_handler()`), "/pooled" on the bounded worker pool
// (the default). It is separate from the reference app so the benchmark does not move when the
// reference app grows. The access log stays on (it is part of the default pipeline); the
// harness sends stderr to /dev/null.
//
//     bench_http_app [--port 8082] [--io-threads 1] [--workers 4]
#include <bulwark/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
    bulwark::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 8082;
    options.io_threads = 1;  // the harness gives the server one core
    options.worker_threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const int value = std::atoi(argv[i + 1]);
        if (value <= 0) {
            std::fprintf(stderr, "bench_http_app: %s wants a positive number\n", argv[i]);
            return 2;
        }
        if (flag == "--port") {
            options.port = static_cast<std::uint16_t>(value);
        } else if (flag == "--io-threads") {
            options.io_threads = static_cast<unsigned>(value);
        } else if (flag == "--workers") {
            options.worker_threads = static_cast<unsigned>(value);
        } else {
            std::fprintf(stderr, "usage: %s [--port P] [--io-threads N] [--workers N]\n", argv[0]);
            return 2;
        }
    }
    bulwark::App app;
    app.get("/inline", [](bulwark::Request&) { return bulwark::Response::text("Hello, world\n"); })
        .inline_handler();
    app.get("/pooled", [](bulwark::Request&) { return bulwark::Response::text("Hello, world\n"); });
    options.on_listening = [](std::uint16_t port) {
        std::fprintf(stderr, "bench_http_app: listening on 127.0.0.1:%u\n", port);
    };
    app.run(options);
    return 0;
}
