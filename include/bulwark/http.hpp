// bulwark/http.hpp: the application, its routes, requests, responses and middleware.
//
// A Bulwark app is a pure function from Request to Response (`App::handle`) wrapped in a
// server (`App::run`) that owns the sockets. The function is built from a fixed, documented
// pipeline of middleware (see docs/http.md) and the route's handler; the server adds the
// limits that must hold before a request exists at all (header size and time, body size,
// connection count). No Boost.Beast or Asio type appears here: the server lives in src/http.
//
// Security model: nothing from the client is trusted. The client address and scheme come
// from the socket unless the peer is a configured trusted proxy; bodies are bounded per
// route before they are read (or, on `.stream_body()` routes, while they stream); a handler's
// exception becomes a generic 500 with a request id and never reaches the client; no header
// names the server's software.
//
//     bulwark::App app;
//     app.get("/hello/<name>", [](bulwark::Request& req) {
//         return bulwark::Response::text("hello " + std::string(req.param("name")));
//     });
//     app.run({.port = 8080});
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/result.hpp>

#include <chrono>
#include <cstdio>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark {

struct RouteOptions;

// HeaderBlock: fields fixed for the life of a configuration (the security-header policy),
// checked for CR, LF and NUL once and rendered once as head lines, so that the many responses
// sharing the block neither copy nor re-check them. The constructor throws std::invalid_argument
// on a field Headers::add would refuse.
class HeaderBlock {
public:
    using Field = std::pair<std::string, std::string>;
    explicit HeaderBlock(std::vector<Field> fields);

    const std::vector<Field>& fields() const noexcept { return fields_; }
    // head_lines: "Name: value\r\n" for every field, in order.
    std::string_view head_lines() const noexcept { return head_lines_; }

private:
    std::vector<Field> fields_;
    std::string head_lines_;
};

// Headers: an ordered list of fields with case-insensitive names (RFC 9110 §5.1).
class Headers {
public:
    using Field = HeaderBlock::Field;

    // get returns the first value of `name`, if any.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    // count returns how many fields are named `name` (a duplicated security header is suspect).
    std::size_t count(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return count(name) > 0; }
    // set replaces every field named `name` with one; add appends another.
    void set(std::string_view name, std::string_view value);
    void add(std::string_view name, std::string_view value);
    void remove(std::string_view name);
    // add_block appends a shared block's fields. They stay in the block (the head is written from
    // its pre-rendered lines) until something needs them as ordinary fields: fields(), set() and
    // remove() copy them in first. A second block is copied in at once.
    void add_block(std::shared_ptr<const HeaderBlock> block);
    // reserve makes room for `n` fields (the pipeline adds a dozen to every response).
    void reserve(std::size_t n) { fields_.reserve(n); }

    // fields: every field, a shared block's included.
    const std::vector<Field>& fields() const;
    std::size_t size() const noexcept { return fields_.size() + (block_ ? block_->fields().size() : 0); }

    // For the server's head writer: the fields outside the shared block, then the block's lines
    // (empty without one). Together they are fields(), in the same order.
    const std::vector<Field>& unshared_fields() const noexcept { return fields_; }
    std::string_view shared_head_lines() const noexcept { return block_ ? block_->head_lines() : std::string_view{}; }
    const std::vector<Field>& fields_in_block() const noexcept { return block_ ? block_->fields() : kNoFields; }

private:
    void unshare() const;
    static const std::vector<Field> kNoFields;

    // Mutable: fields() copies a block in on first use, which changes no field's value or order.
    mutable std::vector<Field> fields_;
    mutable std::shared_ptr<const HeaderBlock> block_;
};

// iequals compares ASCII case-insensitively (header names, tokens).
bool iequals(std::string_view a, std::string_view b) noexcept;

enum class SameSite { lax, strict, none };

// Cookie: a Set-Cookie with every attribute (RFC 6265bis). The defaults are the safe ones:
// HttpOnly, SameSite=Lax, Path=/.
struct Cookie {
    std::string name;
    std::string value;
    std::string path = "/";
    std::string domain;                          // empty: host-only (required for __Host-)
    std::optional<std::chrono::seconds> max_age;  // nullopt: a session cookie
    bool secure = false;
    bool http_only = true;
    SameSite same_site = SameSite::lax;

    // serialize renders the Set-Cookie value. Names and values that could split the header
    // (CR, LF, ';', ',', spaces, controls) are refused with std::invalid_argument.
    std::string serialize() const;
};

// BodyError: why a streamed body could not be read whole (see BodyStream).
enum class BodyError {
    too_large,  // 413: the body passed the route's body_limit (a chunked body, mid-stream)
    malformed,  // 400: bad chunked framing
    aborted,    // 400: the client closed the connection mid-body, or the server is stopping
    timeout,    // 408: the whole body did not arrive within ServerOptions::body_timeout
};
// body_error_status maps a BodyError to its HTTP status; body_error_name is safe to log.
int body_error_status(BodyError e) noexcept;
std::string_view body_error_name(BodyError e) noexcept;

// kStreamHeadBytes: how much of a streamed body the server reads before the pipeline runs, so
// that stages looking for a form token (CSRF) see the text fields sent before the files.
inline constexpr std::size_t kStreamHeadBytes = 8 * 1024;
// kStreamPieceBytes: the size of one piece of a streamed body; the server reads at most two
// pieces ahead of the handler, so a streamed request holds about 512 KiB whatever its size.
inline constexpr std::size_t kStreamPieceBytes = 256 * 1024;

// BodyStream: a request body read in pieces as it arrives (Request::body_stream).
// Thread safety: one reader, the handler's thread. Lifetime: the request's.
class BodyStream {
public:
    virtual ~BodyStream() = default;
    // next returns the next piece of the body, valid until the following call; an empty piece
    // means the body ended. It blocks (on a worker thread) until bytes arrive. An error is
    // final: stop and answer; the server then answers body_error_status(e) for any 2xx/3xx
    // the handler returns and closes the connection.
    virtual Result<std::string_view, BodyError> next() = 0;
};

// Request: what the handler sees. Built by the server (or the test client) from a parsed,
// size-checked HTTP message.
class Request {
public:
    Request() = default;
    Request(std::string method, std::string target, Headers headers, std::string body);

    const std::string& method() const noexcept { return method_; }
    // target is the raw request-target; path is its path, percent-decoded once.
    const std::string& target() const noexcept { return target_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& raw_query() const noexcept { return query_; }
    // query returns the first value of a query parameter (decoded), if present.
    std::optional<std::string> query(std::string_view name) const;

    const Headers& headers() const noexcept { return headers_; }
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        return headers_.get(name);
    }
    // cookie returns a request cookie by name (the first, if the client sent several).
    std::optional<std::string_view> cookie(std::string_view name) const;
    // body is the whole body, except on a `.stream_body()` route served by the server, where
    // it holds only the body's first kStreamHeadBytes (what the pipeline's stages may inspect).
    const std::string& body() const noexcept { return body_; }
    // body_stream reads the whole body in pieces: from the socket as the handler asks on a
    // `.stream_body()` route, else body() as one piece. Call it from the handler only.
    BodyStream& body_stream();
    // set_body_stream is for the server: the streamed body behind body().
    void set_body_stream(std::shared_ptr<BodyStream> stream) { body_stream_ = std::move(stream); }

    // param returns a path parameter of the matched route ("" when absent).
    std::string_view param(std::string_view name) const noexcept;

    // client_address is the socket peer, or the address a trusted proxy reported.
    const std::string& client_address() const noexcept { return client_address_; }
    // is_https is true when the connection (or a trusted proxy's) scheme is https.
    bool is_https() const noexcept { return https_; }
    const std::string& request_id() const noexcept { return request_id_; }
    // identity is the authenticated user's name, set by the authentication stage.
    const std::string& identity() const noexcept { return identity_; }

    // Set by the server and the pipeline, not by handlers.
    void set_client(std::string address, bool https) {
        client_address_ = std::move(address);
        https_ = https;
    }
    void set_request_id(std::string id) { request_id_ = std::move(id); }
    void set_body(std::string body) { body_ = std::move(body); }
    void set_identity(std::string identity) { identity_ = std::move(identity); }
    void set_params(std::vector<std::pair<std::string, std::string>> params) {
        params_ = std::move(params);
    }
    // route is the matched route's options (nullptr when no route matched: 404/405).
    const RouteOptions* route() const noexcept { return route_; }
    void set_route(const RouteOptions* route) noexcept { route_ = route; }
    // target_is_valid is false when the request-target could not be decoded (answered 400).
    bool target_is_valid() const noexcept { return target_valid_; }

    // Per-request values that pipeline stages share with handlers (the CSP nonce, the
    // session), keyed by a type: `req.local<CspNonce>()`. Lives as long as the request.
    template <class T>
    T& local() {
        for (auto& slot : locals_)
            if (slot.type == type_key<T>()) return *static_cast<T*>(slot.value.get());
        locals_.push_back({type_key<T>(), std::shared_ptr<void>(std::make_shared<T>())});
        return *static_cast<T*>(locals_.back().value.get());
    }
    template <class T>
    T* find_local() noexcept {
        for (auto& slot : locals_)
            if (slot.type == type_key<T>()) return static_cast<T*>(slot.value.get());
        return nullptr;
    }

private:
    template <class T>
    static const void* type_key() noexcept {
        static const char key = 0;
        return &key;
    }
    struct Local {
        const void* type;
        std::shared_ptr<void> value;
    };

    std::string method_;
    std::string target_;
    std::string path_;
    std::string query_;
    Headers headers_;
    std::string body_;
    std::shared_ptr<BodyStream> body_stream_;
    std::vector<std::pair<std::string, std::string>> params_;
    std::string client_address_;
    bool https_ = false;
    std::string request_id_;
    std::string identity_;
    const RouteOptions* route_ = nullptr;
    bool target_valid_ = true;
    std::vector<Local> locals_;
};

// Response: status, headers, cookies and a body held in memory or streamed from a file.
class Response {
public:
    Response() = default;
    Response(int status, std::string body, std::string content_type);

    static Response text(std::string body, int status = 200);
    static Response html(std::string body, int status = 200);
    // json takes already-serialized JSON text; see json.hpp helpers for building it.
    static Response json(std::string json_text, int status = 200);
    // redirect answers 303 See Other by default (the right answer to a POST).
    static Response redirect(std::string location, int status = 303);
    // file streams a file from disk; the caller sets Content-Type and Content-Disposition.
    static Response file(std::string path, std::string content_type);
    static Response empty(int status);

    int status() const noexcept { return status_; }
    void set_status(int status) noexcept { status_ = status; }
    Headers& headers() noexcept { return headers_; }
    const Headers& headers() const noexcept { return headers_; }
    const std::string& body() const noexcept { return body_; }
    void set_body(std::string body) { body_ = std::move(body); }
    // take_body moves the body out (the server does, when it writes the response).
    std::string take_body() noexcept { return std::move(body_); }
    const std::string& file_path() const noexcept { return file_path_; }
    const std::vector<Cookie>& cookies() const noexcept { return cookies_; }
    void set_cookie(Cookie cookie) { cookies_.push_back(std::move(cookie)); }

private:
    int status_ = 200;
    Headers headers_;
    std::string body_;
    std::string file_path_;
    std::vector<Cookie> cookies_;
};

// HttpError: thrown by a handler to answer with a status and a safe message.
class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string safe_message)
        : std::runtime_error(std::move(safe_message)), status_(status) {}
    int status() const noexcept { return status_; }

private:
    int status_;
};

// reason_phrase returns the standard text of a status code ("Not Found").
std::string_view reason_phrase(int status) noexcept;

using Handler = std::function<Response(Request&)>;

// Next calls the rest of the pipeline (the later middleware, then the handler).
class Next {
public:
    using Call = Response (*)(const void* state, Request& req);
    Next(Call call, const void* state) : call_(call), state_(state) {}
    Response operator()(Request& req) const { return call_(state_, req); }

private:
    Call call_;
    const void* state_;
};

// Middleware: one stage of the pipeline, `Response handle(Request&, Next)`.
using Middleware = std::function<Response(Request&, const Next&)>;

// RouteOptions: what a route promises or opts out of. Every weakening is named loudly.
struct RouteOptions {
    std::size_t body_limit = 1024 * 1024;  // bytes; 413 before reading past it
    bool run_inline = false;                // handler never blocks: run it on the I/O thread
    bool stream_body = false;               // the handler reads the body with body_stream()
    bool csrf_exempt = false;               // the route does not read the session cookie
    bool no_rate_limit = false;             // exempt from the default limits
    std::vector<std::string> rate_limits;   // Flask-Limiter strings, "5 per minute"
    std::string name;                       // for logs, metrics and `bulwark routes`
    std::vector<std::pair<std::string, std::string>> tags;  // opaque options for components
};

// Route: returned by App::get/post/...; chain options onto it.
class Route {
public:
    explicit Route(RouteOptions& options) : options_(&options) {}
    // inline_handler promises the handler never blocks, so it may run on the I/O thread.
    Route& inline_handler() { options_->run_inline = true; return *this; }
    Route& body_limit(std::size_t bytes) { options_->body_limit = bytes; return *this; }
    // stream_body: the handler reads the body with req.body_stream() while it arrives, so a
    // large body_limit (uploads) never means a large buffer. The limit is enforced while
    // streaming (BodyError::too_large, 413). The pipeline runs before the body is read, with
    // only the body's first kStreamHeadBytes in body(): a form's `csrf_token` field must come
    // before its files (or be sent as X-CSRF-Token). Always runs on a worker thread.
    Route& stream_body() { options_->stream_body = true; return *this; }
    Route& csrf_exempt() { options_->csrf_exempt = true; return *this; }
    Route& no_rate_limit() { options_->no_rate_limit = true; return *this; }
    Route& rate_limit(std::string limit) { options_->rate_limits.push_back(std::move(limit)); return *this; }
    Route& name(std::string name) { options_->name = std::move(name); return *this; }
    Route& tag(std::string key, std::string value) {
        options_->tags.emplace_back(std::move(key), std::move(value));
        return *this;
    }
    const RouteOptions& options() const noexcept { return *options_; }

private:
    RouteOptions* options_;
};

// usable_cores: the CPUs this process may run on (its affinity: taskset, a container's cpuset),
// at least 1. ServerOptions' "per core" defaults count these, and so should any pool an app
// sizes for itself (a server pinned to one core should not run threads for the whole machine).
unsigned usable_cores() noexcept;

// ServerOptions: the limits and threads of `App::run`. Defaults are the safe ones.
struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned io_threads = 0;      // 0: one per core
    unsigned worker_threads = 0;  // 0: 4 per core, at least 16 (handlers block on I/O)
    std::size_t worker_queue_limit = 1024;  // beyond it: 503 with Retry-After
    std::size_t header_limit = 16 * 1024;   // request line + headers; beyond it: 431
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds idle_timeout{30'000};  // between keep-alive requests
    std::chrono::milliseconds body_timeout{60'000};  // the whole body must arrive in time
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds shutdown_deadline{10'000};
    std::size_t max_connections = 10'000;
    std::size_t max_pipelined = 16;  // requests read ahead on one connection
    // max_streaming_bodies: handlers waiting on a streamed body at once (each holds a worker);
    // 0: half the worker threads, at least 1. Beyond it: 503 with Retry-After.
    std::size_t max_streaming_bodies = 0;
    std::string tls_certificate;     // PEM paths; both set means HTTPS
    std::string tls_private_key;
    config::TrustedProxies trusted_proxies;    // peers whose forwarded headers are believed
    config::ProxyHeaders proxy_headers = config::ProxyHeaders::x_forwarded;
    bool access_log = true;
    // on_listening is called once the socket listens, with the bound port (tests bind port 0).
    std::function<void(std::uint16_t)> on_listening;
};

// AccessLogLine: what the access log records per request (never the query string).
struct AccessLogLine {
    std::string_view method;
    std::string_view path;
    int status;
    std::uint64_t bytes;
    std::chrono::microseconds duration;
    std::string_view request_id;
    std::string_view client;
};

// write_access_log_line writes `line` to `out` in the default access log's format, with one
// write; a custom writer (one that redacts the path, say) can format through it too.
void write_access_log_line(std::FILE* out, const AccessLogLine& line);

class Router;

// RouteInfo: one registered route, for `bulwark routes` and `bulwark check-config`.
struct RouteInfo {
    std::string method;
    std::string pattern;
    const RouteOptions* options;
};

// App: routes, middleware and the server. Configure it, then call run() once.
// Thread safety: configuration is not thread-safe; handle() is, once run() has started.
class App {
public:
    App();
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // route adds a handler for one method and a path pattern: "/static", "/uploads/<id>".
    Route route(std::string_view method, std::string_view pattern, Handler handler);
    Route get(std::string_view pattern, Handler h) { return route("GET", pattern, std::move(h)); }
    Route post(std::string_view pattern, Handler h) { return route("POST", pattern, std::move(h)); }
    Route put(std::string_view pattern, Handler h) { return route("PUT", pattern, std::move(h)); }
    Route patch(std::string_view pattern, Handler h) { return route("PATCH", pattern, std::move(h)); }
    Route del(std::string_view pattern, Handler h) { return route("DELETE", pattern, std::move(h)); }

    // use appends a middleware stage after the default ones (see docs/http.md for the order).
    void use(Middleware middleware);

    // add_start_check registers a check of the finished configuration (the pipeline checks that
    // every route's rate-limit string parses). run() and the test client call
    // check_configuration(), so a mistake stops the start instead of failing a first request.
    void add_start_check(std::function<void(const App&)> check);
    // check_configuration runs every start check; a failing one throws std::invalid_argument.
    void check_configuration() const;

    // handle runs the whole pipeline for one request: the server and the test client call it.
    Response handle(Request& req) const;

    // match_options finds the route options for a method and path (nullptr: 404/405), so the
    // server can apply the route's body limit before reading the body.
    const RouteOptions* match_options(std::string_view method, std::string_view path) const;

    // routes lists every registered route in the order it was added.
    std::vector<RouteInfo> routes() const;

    // run serves until SIGINT/SIGTERM (or stop()), then finishes in-flight requests.
    void run(const ServerOptions& options = {});
    // stop asks a running server to shut down gracefully; safe from any thread.
    void stop();

    // set_access_log replaces the access-log writer (stderr by default).
    void set_access_log(std::function<void(const AccessLogLine&)> writer);
    // set_error_log receives handler exceptions (message + request id) for the server log.
    void set_error_log(std::function<void(std::string_view request_id, std::string_view what)> writer);

    // Internal, for the server and the test client.
    Router& router_for_internal_use() noexcept { return *router_; }
    void write_access_log(const AccessLogLine& line) const;

    // reject answers a request the server refused before it reached a route (400, 413, 431,
    // 503) through the middleware, so the refusal carries the same security headers.
    Response reject(Request& req, int status) const;

    // error_response builds the generic error page (HTML or JSON by Accept) with the request id.
    static Response error_response(const Request& req, int status);

private:
    std::unique_ptr<Router> router_;
    std::vector<Middleware> middleware_;
    std::vector<std::function<void(const App&)>> start_checks_;
    std::function<void(const AccessLogLine&)> access_log_;
    std::function<void(std::string_view, std::string_view)> error_log_;
    struct Running;
    static std::shared_ptr<Running> make_running();
    std::shared_ptr<Running> running_;
};

}  // namespace bulwark
