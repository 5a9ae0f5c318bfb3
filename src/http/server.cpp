// The server: Beast's three layers. A listener accepts; a session owns one connection (its
// stream, its buffer, a fresh parser per message and a deadline on every read and write);
// App::handle is the pure request -> response function behind them.
//
// Limits checked here, before a Request exists: the header block (431 past the limit, 400 for
// obsolete line folding or a bad Transfer-Encoding), the header deadline, the route's body limit
// (413 from Content-Length before reading, or as soon as a chunked body passes it), the
// connection count and the worker queue (503 with Retry-After).
//
// A `.stream_body()` route reads its body differently: the server reads the body's head
// (kStreamHeadBytes) so the pipeline can see the form fields before the files, runs the handler
// on a worker at once, and then reads the rest piece by piece as the handler asks for it
// (StreamChannel), with the route's limit enforced by the parser while streaming. A body with a
// Content-Length (within the limit, checked before reading) is read past Beast's parser,
// straight from the socket into the channel's pieces: the parser would read it in pieces of its
// flat buffer's capacity (the 8 KiB a header block needs) and copy each one again.
#include "server.hpp"

#include <bulwark/crypto.hpp>

#include "body_stream.hpp"
#include "tls.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <csignal>
#include <limits>
#include <cstdio>
#include <cstring>
#include <list>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace bulwark {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

// FlatResponse: a response's serialized head and its body, alive until the write completes.
struct FlatResponse {
    std::string head;
    std::string body;
};

// has_body: 1xx, 204 and 304 answers carry neither a body nor a Content-Length (RFC 9110 §8.6).
bool has_body(int status) { return status >= 200 && status != 204 && status != 304; }

// framing_field looks at the length first: it runs twice for every field of every response.
bool framing_field(std::string_view name) {
    switch (name.size()) {
        case 10: return iequals(name, "connection");
        case 14: return iequals(name, "content-length");
        case 17: return iequals(name, "transfer-encoding");
        default: return false;
    }
}

// HeadWriter copies the pieces of a response head into a string sized once for all of them.
class HeadWriter {
public:
    explicit HeadWriter(std::string& out) : at_(out.data()) {}
    void put(std::string_view text) noexcept {
        std::memcpy(at_, text.data(), text.size());
        at_ += text.size();
    }

private:
    char* at_;
};

// Digits: a number's decimal text, on the stack.
struct Digits {
    explicit Digits(std::uint64_t value) noexcept
        : size(static_cast<std::size_t>(std::to_chars(text.data(), text.data() + text.size(), value).ptr - text.data())) {}
    std::string_view view() const noexcept { return {text.data(), size}; }
    std::array<char, 24> text{};
    std::size_t size;
};

// serialize_head writes the status line, the fields (already checked for CR/LF/NUL when they
// were set), the cookies, the framing this server owns (Content-Length, Connection) and the
// blank line. A HEAD answer gets the length the GET would have had. A cookie that cannot be
// serialized safely throws, as before. It measures the head first and copies each piece once:
// it runs on every response, with a dozen security headers.
std::string serialize_head(const Response& response, bool keep) {
    using namespace std::string_view_literals;
    const int status = response.status();
    std::vector<std::string> cookies;
    cookies.reserve(response.cookies().size());
    for (const auto& cookie : response.cookies()) cookies.push_back(cookie.serialize());
    const Digits code(static_cast<std::uint64_t>(status));
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    const std::string_view reason_text(reason.data(), reason.size());
    const bool length = has_body(status);
    const Digits body_size(response.body().size());
    const Headers& headers = response.headers();
    // A shared block (the security headers) is written as rendered, unless it names a framing
    // field, which only the server may write: then its fields go through the filter below.
    std::string_view block = headers.shared_head_lines();
    if (!block.empty() && std::any_of(headers.fields_in_block().begin(), headers.fields_in_block().end(),
                                      [](const Headers::Field& f) { return framing_field(f.first); }))
        block = {};
    const auto& fields = block.empty() ? headers.fields() : headers.unshared_fields();
    std::size_t size = "HTTP/1.1 "sv.size() + code.size + 1 + reason_text.size() + 2 + block.size();
    for (const auto& [name, value] : fields)
        if (!framing_field(name)) size += name.size() + value.size() + 4;
    for (const auto& cookie : cookies) size += "Set-Cookie: "sv.size() + cookie.size() + 2;
    if (!keep) size += "Connection: close\r\n"sv.size();
    if (length) size += "Content-Length: "sv.size() + body_size.size + 2;
    size += 2;
    std::string out(size, '\0');
    HeadWriter w(out);
    w.put("HTTP/1.1 "sv);
    w.put(code.view());
    w.put(" "sv);
    w.put(reason_text);
    w.put("\r\n"sv);
    for (const auto& [name, value] : fields) {
        if (framing_field(name)) continue;  // the server frames the message, never the handler
        w.put(name);
        w.put(": "sv);
        w.put(value);
        w.put("\r\n"sv);
    }
    if (!block.empty()) w.put(block);  // an empty view may have no data pointer for memcpy
    for (const auto& cookie : cookies) {
        w.put("Set-Cookie: "sv);
        w.put(cookie);
        w.put("\r\n"sv);
    }
    if (!keep) w.put("Connection: close\r\n"sv);
    if (length) {
        w.put("Content-Length: "sv);
        w.put(body_size.view());
        w.put("\r\n"sv);
    }
    w.put("\r\n"sv);
    return out;
}

using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

// A server pinned to one core runs one event loop and four workers, not the threads of the whole
// machine competing for that core.
unsigned usable_cores() noexcept {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<unsigned>(n);
    }
#endif
    return std::max(1u, std::thread::hardware_concurrency());
}

// SessionBase lets the server reach every session at shutdown without knowing its stream type.
class SessionBase {
public:
    virtual ~SessionBase() = default;
    virtual void shutdown_if_idle() = 0;
};

struct ServerState {
    ServerState(const App& app_ref, const ServerOptions& options_ref, unsigned workers)
        : app(app_ref), options(options_ref), pool(workers, options_ref.worker_queue_limit) {}

    const App& app;
    ServerOptions options;
    WorkerPool pool;
    TrustedPeers trusted;
    std::atomic<std::size_t> connections{0};
    std::atomic<std::size_t> closed_since_trim{0};  // for return_freed_memory
    std::atomic<std::size_t> streaming{0};  // handlers of streamed bodies running or queued
    std::size_t max_streaming = 1;
    std::atomic<bool> stopping{false};
    std::mutex sessions_mutex;
    std::list<std::weak_ptr<SessionBase>> sessions;

    void remember(const std::shared_ptr<SessionBase>& s) {
        std::lock_guard lock(sessions_mutex);
        // Drop the entries of closed sessions as we go, so the list stays as long as the
        // number of open connections.
        sessions.remove_if([](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
        sessions.push_back(s);
    }
};

namespace {

// wake_workers_after_batch wakes the worker pool once the I/O thread has run the completions
// already queued on it (the requests of one batch of socket events), instead of once per
// request: on a busy core, a worker woken per request preempted the I/O thread every time.
// Each I/O thread runs one io_context, so the flag is per thread.
void wake_workers_after_batch(ServerState& state, const asio::any_io_executor& executor) {
    thread_local bool posted = false;
    if (posted) return;
    posted = true;
    asio::post(executor, [&state] {
        posted = false;
        state.pool.wake();
    });
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
    Session(Stream&& stream, ServerState& state, std::string peer, bool https)
        : stream_(std::move(stream)), state_(state), peer_(std::move(peer)), https_(https) {
        ++state_.connections;
    }
    ~Session() override {
        release_streaming_slot();
        --state_.connections;
        state_.closed_since_trim.fetch_add(1, std::memory_order_relaxed);
    }

    void start() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(state_.options.header_timeout);
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (ec) return;  // a failed handshake is just a close
                                        self->read_request();
                                    });
        } else {
            read_request();
        }
    }

    void shutdown_if_idle() override {
        asio::post(stream_.get_executor(), [weak = this->weak_from_this()] {
            if (auto self = weak.lock(); self && self->idle_) self->close_now();
        });
    }

private:
    // read_request waits for a complete header block, within the header (or idle) deadline.
    void read_request() {
        idle_ = true;
        scanned_ = 0;
        beast::get_lowest_layer(stream_).expires_after(first_ ? state_.options.header_timeout
                                                              : state_.options.idle_timeout);
        first_ = false;
        scan_for_header();
    }

    void scan_for_header() {
        const auto data = buffer_.data();
        std::string_view view(static_cast<const char*>(data.data()), data.size());
        // RFC 9112 §2.2: ignore empty lines before the request-line.
        std::size_t skip = 0;
        while (skip + 1 < view.size() && view[skip] == '\r' && view[skip + 1] == '\n') skip += 2;
        if (skip > 0) {
            buffer_.consume(skip);
            scanned_ = 0;
            return scan_for_header();
        }
        const std::size_t from = scanned_ > 3 ? scanned_ - 3 : 0;
        const auto end = view.find("\r\n\r\n", from);
        if (end != std::string_view::npos) {
            const std::size_t header_bytes = end + 4;
            if (header_bytes > state_.options.header_limit) return reject_and_close(431);
            // Obsolete line folding lets two parsers disagree on a header (RFC 9112 §5.2).
            const std::string_view block = view.substr(0, end + 2);
            if (block.find("\r\n ") != std::string_view::npos ||
                block.find("\r\n\t") != std::string_view::npos)
                return reject_and_close(400);
            return on_header(header_bytes);
        }
        if (view.size() >= state_.options.header_limit) return reject_and_close(431);
        scanned_ = view.size();
        // 8 KiB, not less: the body is read through the same buffer, and Beast sizes each body
        // read by the buffer's capacity (a 2 KiB first read halved the upload speed).
        const std::size_t room = std::min<std::size_t>(8192, state_.options.header_limit + 4 - view.size());
        stream_.async_read_some(buffer_.prepare(room),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) return self->close_now();
                                    self->buffer_.commit(n);
                                    self->idle_ = false;
                                    self->scan_for_header();
                                });
    }

    void on_header(std::size_t header_bytes) {
        started_ = Clock::now();
        idle_ = false;
        header_parser_.emplace();
        header_parser_->header_limit(static_cast<std::uint32_t>(state_.options.header_limit + 4));
        header_parser_->eager(false);
        // The route's limit is checked below (413); Beast's default (1 MiB) would refuse a
        // larger Content-Length while parsing the header, as a 400, whatever the route allows.
        header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
        beast::error_code ec;
        const auto data = buffer_.data();
        const std::size_t used = header_parser_->put(asio::buffer(data.data(), header_bytes), ec);
        if (ec || !header_parser_->is_header_done()) return reject_and_close(400);
        buffer_.consume(used);

        const auto& message = header_parser_->get();
        // Only "chunked" alone is a transfer coding we accept; anything else could be read
        // differently by a proxy in front (request smuggling).
        if (auto te = message.find(bhttp::field::transfer_encoding); te != message.end()) {
            if (message.count(bhttp::field::transfer_encoding) != 1 ||
                !iequals(trim(te->value()), "chunked"))
                return reject_and_close(400);
        }
        if (message.version() != 11 && message.version() != 10) return reject_and_close(400);

        Headers headers;
        for (const auto& field : message) headers.add(field.name_string(), field.value());
        request_ = std::make_shared<Request>(std::string(message.method_string()),
                                             std::string(message.target()), std::move(headers),
                                             std::string());
        state_.trusted.resolve(*request_, peer_, https_);
        keep_alive_ = message.keep_alive();

        route_ = state_.app.match_options(request_->method(), request_->path());
        const RouteOptions* route = route_;
        const std::size_t limit = route ? route->body_limit : RouteOptions{}.body_limit;
        if (auto length = header_parser_->content_length(); length && *length > limit)
            return reject_and_close(413);
        if (header_parser_->is_done()) return dispatch();
        streaming_ = route != nullptr && route->stream_body;
        // Each streamed body holds a worker while it arrives: cap them so that slow uploads
        // cannot take every worker.
        if (streaming_ && !take_streaming_slot()) {
            keep_alive_ = false;
            Response busy = state_.app.reject(*request_, 503);
            busy.headers().set("Retry-After", "1");
            return write(std::move(busy));
        }

        if (auto expect = message.find(bhttp::field::expect);
            expect != message.end() && iequals(trim(expect->value()), "100-continue")) {
            auto interim = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
            asio::async_write(stream_, asio::buffer(*interim),
                              [self = this->shared_from_this(), interim, limit](beast::error_code ec,
                                                                              std::size_t) {
                                  if (ec) return self->close_now();
                                  self->read_body(limit);
                              });
            return;
        }
        read_body(limit);
    }

    void read_body(std::size_t limit) {
        if (streaming_) return read_head(limit);
        body_parser_.emplace(std::move(*header_parser_));
        header_parser_.reset();
        body_parser_->body_limit(limit);
        beast::get_lowest_layer(stream_).expires_after(state_.options.body_timeout);
        bhttp::async_read(stream_, buffer_, *body_parser_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec == bhttp::error::body_limit) return self->reject_and_close(413);
                              if (ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
                                  ec == asio::error::eof)
                                  return self->close_now();
                              if (ec) return self->reject_and_close(400);
                              self->request_->set_body(self->body_parser_->release().body());
                              self->body_parser_.reset();
                              self->dispatch();
                          });
    }

    // read_head reads the first kStreamHeadBytes of a streamed body (or all of a shorter one),
    // then hands the request to a worker with a StreamChannel for the rest.
    void read_head(std::size_t limit) {
        stream_parser_.emplace(std::move(*header_parser_));
        header_parser_.reset();
        stream_parser_->body_limit(limit);
        stream_parser_->eager(true);
        beast::get_lowest_layer(stream_).expires_after(state_.options.body_timeout);
        const auto deadline = Clock::now() + state_.options.body_timeout + std::chrono::seconds(1);
        auto head = std::make_shared<std::string>(kStreamHeadBytes, '\0');
        auto& body = stream_parser_->get().body();
        body.data = head->data();
        body.size = head->size();
        bhttp::async_read(stream_, buffer_, *stream_parser_,
                          [self = this->shared_from_this(), head, deadline](beast::error_code ec, std::size_t) {
                              if (ec == bhttp::error::need_buffer) ec = {};
                              if (ec) {
                                  self->release_streaming_slot();
                                  if (ec == bhttp::error::body_limit) return self->reject_and_close(413);
                                  if (to_body_error(ec) == BodyError::malformed) return self->reject_and_close(400);
                                  return self->close_now();
                              }
                              head->resize(kStreamHeadBytes - self->stream_parser_->get().body().size);
                              self->request_->set_body(*head);
                              self->channel_ = std::make_shared<StreamChannel>(std::move(*head), deadline);
                              if (self->stream_parser_->is_done()) {
                                  self->channel_->finish();
                              } else if (!self->stream_parser_->chunked()) {
                                  if (auto left = self->stream_parser_->content_length_remaining())
                                      self->direct_left_ = *left;
                              }
                              self->channel_->set_wake([weak = self->weak_from_this(),
                                                        executor = self->stream_.get_executor()] {
                                  asio::post(executor, [weak] {
                                      if (auto s = weak.lock()) s->pump_body();
                                  });
                              });
                              self->request_->set_body_stream(self->channel_);
                              self->dispatch_streaming();
                          });
    }

    static BodyError to_body_error(const beast::error_code& ec) {
        if (ec == bhttp::error::body_limit) return BodyError::too_large;
        if (ec == beast::error::timeout) return BodyError::timeout;
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
            ec == asio::error::eof || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
            ec == asio::ssl::error::stream_truncated)
            return BodyError::aborted;
        return BodyError::malformed;
    }

    // pump_body reads the next piece into a free slot of the channel; with none free it stops
    // until the handler frees one (the channel's wake posts pump_body again).
    void pump_body() {
        if (reading_ || !channel_ || !stream_parser_) return;
        if (direct_left_) return pump_direct();
        if (stream_parser_->is_done()) return channel_->finish();
        const auto index = channel_->acquire();
        if (!index) return;
        reading_ = true;
        auto& body = stream_parser_->get().body();
        body.data = channel_->piece_data(*index);
        body.size = kStreamPieceBytes;
        bhttp::async_read(stream_, buffer_, *stream_parser_,
                          [self = this->shared_from_this(), index = *index](beast::error_code ec, std::size_t) {
                              self->reading_ = false;
                              if (std::exchange(self->drain_pending_, false)) return self->drain_then_close();
                              if (ec == bhttp::error::need_buffer) ec = {};
                              const std::size_t left = self->stream_parser_->get().body().size;
                              self->channel_->push(index, kStreamPieceBytes - left);
                              if (ec) return self->channel_->fail(to_body_error(ec));
                              self->pump_body();
                          });
    }

    // pump_direct is pump_body for a body of known length: the bytes Beast read past the head
    // first, then one read of the socket straight into the piece until it is full (or the body
    // ends). Never past the Content-Length: what follows is the next request.
    void pump_direct() {
        if (*direct_left_ == 0) return channel_->finish();
        const auto index = channel_->acquire();
        if (!index) return;
        char* piece = channel_->piece_data(*index);
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kStreamPieceBytes, *direct_left_));
        const std::size_t buffered = std::min(want, buffer_.size());
        if (buffered > 0) {
            std::memcpy(piece, buffer_.data().data(), buffered);
            buffer_.consume(buffered);
            *direct_left_ -= buffered;
            if (buffered == want) {
                channel_->push(*index, buffered);
                return pump_body();
            }
        }
        reading_ = true;
        asio::async_read(stream_, asio::buffer(piece + buffered, want - buffered),
                         [self = this->shared_from_this(), index = *index, buffered](beast::error_code ec,
                                                                                    std::size_t n) {
                             self->reading_ = false;
                             if (std::exchange(self->drain_pending_, false)) return self->drain_then_close();
                             *self->direct_left_ -= n;
                             self->channel_->push(index, buffered + n);
                             if (ec) return self->channel_->fail(to_body_error(ec));
                             self->pump_body();
                         });
    }

    void dispatch_streaming() {
        auto self = this->shared_from_this();
        auto request = request_;
        const bool queued = state_.pool.try_submit([self, request] {
            auto response = std::make_shared<Response>(self->state_.app.handle(*request));
            asio::post(self->stream_.get_executor(),
                       [self, response] { self->finish_streaming(std::move(*response)); });
        });
        if (queued) return pump_body();  // read ahead while the pipeline runs
        {
            release_streaming_slot();
            keep_alive_ = false;
            Response busy = state_.app.reject(*request_, 503);
            busy.headers().set("Retry-After", "1");
            write(std::move(busy));
        }
    }

    // finish_streaming answers for a streamed body. A body that failed wins over a handler
    // that answered success anyway; a body left unread ends the connection (its bytes would
    // otherwise be taken for the next request).
    void finish_streaming(Response&& response) {
        release_streaming_slot();
        if (auto error = channel_->error(); error && response.status() < 400) {
            request_->set_route(nullptr);  // a refusal, as if before routing: no second rate-limit hit
            response = state_.app.reject(*request_, body_error_status(*error));
        }
        if (!channel_->complete()) {
            keep_alive_ = false;
            linger_ = true;
        }
        write(std::move(response));
    }

    bool take_streaming_slot() {
        if (state_.streaming.fetch_add(1) >= state_.max_streaming) {
            --state_.streaming;
            return false;
        }
        holds_slot_ = true;
        return true;
    }

    void release_streaming_slot() {
        if (std::exchange(holds_slot_, false)) --state_.streaming;
    }

    void dispatch() {
        if (route_ && route_->run_inline) return write(state_.app.handle(*request_));
        auto self = this->shared_from_this();
        auto request = request_;
        const bool queued = state_.pool.try_queue([self, request] {
            auto response = std::make_shared<Response>(self->state_.app.handle(*request));
            asio::post(self->stream_.get_executor(),
                       [self, response] { self->write(std::move(*response)); });
        });
        if (queued) {
            wake_workers_after_batch(state_, stream_.get_executor());
        } else {
            Response busy = state_.app.reject(*request_, 503);
            busy.headers().set("Retry-After", "1");
            write(std::move(busy));
        }
    }

    void reject_and_close(int status) {
        keep_alive_ = false;
        if (!request_) request_ = std::make_shared<Request>("GET", "/", Headers{}, std::string());
        if (started_ == Clock::time_point{}) started_ = Clock::now();
        write(state_.app.reject(*request_, status));
    }

    void write(Response&& response) {
        const bool head = request_ && request_->method() == "HEAD";
        const bool keep = keep_alive_ && !state_.stopping.load() && response.status() != 400 &&
                          response.status() != 413 && response.status() != 431;
        auto fill = [&](auto& out) {
            out.version(11);
            out.result(static_cast<unsigned>(response.status()));
            for (const auto& [name, value] : response.headers().fields()) out.insert(name, value);
            for (const auto& cookie : response.cookies()) out.insert(bhttp::field::set_cookie, cookie.serialize());
            out.keep_alive(keep);
        };
        try {
            if (!response.file_path().empty() && !head) {
                auto out = std::make_shared<bhttp::response<bhttp::file_body>>();
                beast::error_code ec;
                out->body().open(response.file_path().c_str(), beast::file_mode::scan, ec);
                if (ec) {
                    response = state_.app.reject(*request_, 404);
                    return write(std::move(response));
                }
                fill(*out);
                out->prepare_payload();
                return send(out, response.status());
            }
            auto out = std::make_shared<FlatResponse>();
            out->head = serialize_head(response, keep);
            if (!head && has_body(response.status())) out->body = response.take_body();
            send_flat(out, response.status(), keep);
        } catch (const std::exception&) {
            // A handler set a header or cookie that cannot be sent safely: answer 500 instead.
            if (response.status() == 500) return close_now();
            Response failure = App::error_response(*request_, 500);
            write(std::move(failure));
        }
    }

    // send_flat writes a response whose head was serialized in one piece: two buffers for the
    // kernel instead of four per header field, which is most of what a dozen security headers
    // would otherwise cost per response.
    void send_flat(const std::shared_ptr<FlatResponse>& out, int status, bool keep) {
        beast::get_lowest_layer(stream_).expires_after(state_.options.write_timeout);
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(out->head), asio::buffer(out->body)};
        asio::async_write(stream_, buffers,
                          [self = this->shared_from_this(), out, status, keep](beast::error_code ec,
                                                                                std::size_t bytes) {
                              self->written(ec, bytes, status, keep);
                          });
    }

    template <class Message>
    void send(const std::shared_ptr<Message>& message, int status) {
        beast::get_lowest_layer(stream_).expires_after(state_.options.write_timeout);
        const bool keep = message->keep_alive();
        bhttp::async_write(stream_, *message,
                           [self = this->shared_from_this(), message, status, keep](
                               beast::error_code ec, std::size_t bytes) {
                               self->written(ec, bytes, status, keep);
                           });
    }

    // written ends a response: log it, then read the next request or close.
    void written(beast::error_code ec, std::size_t bytes, int status, bool keep) {
        log(status, bytes);
        if (ec || !keep) return close_gracefully();
        request_.reset();
        end_streaming();
        read_request();
    }

    void log(int status, std::size_t bytes) {
        if (!state_.options.access_log || !request_) return;
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_);
        state_.app.write_access_log({request_->method(), request_->path(), status, bytes, took,
                                     request_->request_id(), request_->client_address()});
    }

    void close_gracefully() {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
                self->close_now();
            });
        } else {
            beast::error_code ec;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
            if (std::exchange(linger_, false) && !ec) {
                // A read of the body may still be in flight: drain once it completes.
                if (reading_) {
                    drain_pending_ = true;
                    return;
                }
                return drain_then_close();
            }
            close_now();
        }
    }

    // drain_then_close reads and drops what the client still sends of a refused body, for a
    // bounded time and amount, so that closing does not reset the connection before the client
    // has read the answer (RFC 9112 §9.6).
    void drain_then_close() {
        if (drained_ >= kDrainLimit) return close_now();
        if (!scratch_) scratch_ = std::make_unique<char[]>(kDrainPiece);
        if (drained_ == 0) beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
        stream_.async_read_some(asio::buffer(scratch_.get(), kDrainPiece),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                                    if (ec) return self->close_now();
                                    self->drained_ += n;
                                    self->drain_then_close();
                                });
    }

    void end_streaming() {
        streaming_ = false;
        direct_left_.reset();
        channel_.reset();
        stream_parser_.reset();
    }

    void close_now() {
        if (channel_) channel_->fail(BodyError::aborted);
        beast::error_code ec;
        beast::get_lowest_layer(stream_).socket().close(ec);
    }

    Stream stream_;
    ServerState& state_;
    std::string peer_;
    bool https_;
    beast::flat_buffer buffer_;
    std::size_t scanned_ = 0;
    bool first_ = true;
    bool idle_ = true;
    bool keep_alive_ = false;
    Clock::time_point started_{};
    std::optional<bhttp::request_parser<bhttp::empty_body>> header_parser_;
    std::optional<bhttp::request_parser<bhttp::string_body>> body_parser_;
    std::shared_ptr<Request> request_;
    const RouteOptions* route_ = nullptr;  // request_'s route, matched once when its header arrives
    // A streamed body (stream_body routes).
    static constexpr std::size_t kDrainPiece = 64 * 1024;
    static constexpr std::size_t kDrainLimit = 64 * 1024 * 1024;
    bool streaming_ = false;
    bool holds_slot_ = false;
    bool reading_ = false;
    bool linger_ = false;
    bool drain_pending_ = false;
    std::size_t drained_ = 0;
    std::unique_ptr<char[]> scratch_;
    std::optional<bhttp::request_parser<bhttp::buffer_body>> stream_parser_;
    // The body bytes still to read when it is read past the parser (pump_direct).
    std::optional<std::uint64_t> direct_left_;
    std::shared_ptr<StreamChannel> channel_;
};

}  // namespace

Server::Server(const App& app, const ServerOptions& options) : options_(options) {
    const unsigned cores = usable_cores();
    const unsigned io_threads = options.io_threads ? options.io_threads : cores;
    // Handlers block (a database commit, an outbound call), so the pool is sized for waiting, not
    // for the cores alone: a group commit gathers at most as many writes as there are workers.
    const unsigned workers = options.worker_threads ? options.worker_threads : std::max(16u, 4 * cores);
    state_ = std::make_unique<ServerState>(app, options, workers);
    state_->trusted = TrustedPeers(options.trusted_proxies, options.proxy_headers);
    state_->max_streaming = options.max_streaming_bodies ? options.max_streaming_bodies
                                                         : std::max(1u, workers / 2);
    for (unsigned i = 0; i < io_threads; ++i) {
        contexts_.push_back(std::make_unique<asio::io_context>(1));
        guards_.emplace_back(contexts_.back()->get_executor());
    }
    if (!options.tls_certificate.empty() || !options.tls_private_key.empty())
        tls_ = std::make_unique<TlsContexts>(options.tls_certificate, options.tls_private_key);

    auto& main = *contexts_.front();
    acceptor_ = std::make_unique<tcp::acceptor>(main);
    const auto address = asio::ip::make_address(options.host);
    const tcp::endpoint endpoint(address, options.port);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(asio::socket_base::reuse_address(true));
    if (address.is_v6()) acceptor_->set_option(asio::ip::v6_only(true));
    acceptor_->bind(endpoint);
    acceptor_->listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_->local_endpoint().port();
    signals_ = std::make_unique<asio::signal_set>(main, SIGINT, SIGTERM, SIGHUP);
}

Server::~Server() = default;

void Server::run() {
    wait_for_signal();
    accept();
    memory_timer_ = std::make_unique<asio::steady_timer>(*contexts_.front());
    return_freed_memory();
    if (options_.on_listening) options_.on_listening(port_);
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < contexts_.size(); ++i)
        threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    contexts_.front()->run();
    for (auto& t : threads) t.join();
    state_->pool.stop();
}

void Server::stop() {
    asio::post(*contexts_.front(), [this] { begin_shutdown(); });
}

void Server::wait_for_signal() {
    signals_->async_wait([this](beast::error_code ec, int signal) {
        if (ec) return;
        if (signal == SIGHUP) {
            // Reload the certificate for new connections; open ones keep theirs.
            if (tls_) {
                std::string problem = tls_->reload();
                if (!problem.empty()) std::fprintf(stderr, "tls reload failed: %s\n", problem.c_str());
            }
            return wait_for_signal();
        }
        begin_shutdown();
    });
}

void Server::accept() {
    auto& target = *contexts_[next_context_];
    next_context_ = (next_context_ + 1) % contexts_.size();
    acceptor_->async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || state_->stopping) return;
        if (!ec) start_session(std::move(socket));
        accept();
    });
}

void Server::start_session(tcp::socket socket) {
    if (state_->connections.load() >= options_.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        return;
    }
    beast::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    socket.set_option(tcp::no_delay(true), ec);
    std::string peer = remote.address().to_string();
    beast::tcp_stream stream(std::move(socket));
    if (tls_) {
        auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls_->current()), *state_,
            std::move(peer), true);
        state_->remember(session);
        session->start();
    } else {
        auto session = std::make_shared<Session<beast::tcp_stream>>(std::move(stream), *state_,
                                                                    std::move(peer), false);
        state_->remember(session);
        session->start();
    }
}

void Server::return_freed_memory() {
    // glibc keeps the memory of freed connection buffers in its arenas, so after a burst of
    // connections (a slow-loris wave, a load spike) RSS would stay at the burst's level for
    // good. Once enough connections have closed, hand the free pages back to the kernel.
    // malloc_trim walks the arenas under their locks: at most once per interval.
    memory_timer_->expires_after(kTrimInterval);
    memory_timer_->async_wait([this](beast::error_code ec) {
        if (ec || state_->stopping) return;
        if (state_->closed_since_trim.exchange(0, std::memory_order_relaxed) >= kTrimAfterClosed) {
#if defined(__GLIBC__)
            ::malloc_trim(0);
#endif
        }
        return_freed_memory();
    });
}

void Server::begin_shutdown() {
    if (state_->stopping.exchange(true)) return;
    beast::error_code ec;
    acceptor_->close(ec);
    signals_->cancel(ec);
    if (memory_timer_) memory_timer_->cancel();
    {
        std::lock_guard lock(state_->sessions_mutex);
        for (auto& weak : state_->sessions)
            if (auto session = weak.lock()) session->shutdown_if_idle();
    }
    shutdown_deadline_ = Clock::now() + options_.shutdown_deadline;
    shutdown_timer_ = std::make_unique<asio::steady_timer>(*contexts_.front());
    poll_shutdown();
}

void Server::poll_shutdown() {
    // In-flight requests finish (their connections then close, since stopping is set); once
    // none is left, or the deadline passes, the event loops end.
    if (state_->connections.load() == 0 || Clock::now() >= shutdown_deadline_) {
        for (auto& guard : guards_) guard.reset();
        for (auto& ctx : contexts_) ctx->stop();
        return;
    }
    shutdown_timer_->expires_after(std::chrono::milliseconds(20));
    shutdown_timer_->async_wait([this](beast::error_code ec) {
        if (!ec) poll_shutdown();
    });
}

}  // namespace bulwark
