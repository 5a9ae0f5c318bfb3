// App: route registration and the request -> response function the server calls.
#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>

#include "router.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>

namespace bulwark {
namespace {

struct Chain {
    const std::vector<Middleware>* stages;
    const RouteMatch* match;
    int rejected_status;  // non-zero: the terminal answers this error instead of routing
};

struct Frame {
    const Chain* chain;
    std::size_t index;
};

bool wants_json(const Request& req) {
    if (req.path().rfind("/api/", 0) == 0 || req.path() == "/api") return true;
    auto accept = req.header("Accept");
    if (!accept) return false;
    return accept->find("application/json") != std::string_view::npos &&
           accept->find("text/html") == std::string_view::npos;
}

Response dispatch(const RouteMatch& match, Request& req) {
    switch (match.kind) {
        case RouteMatch::Kind::found:
            return match.entry->handler(req);
        case RouteMatch::Kind::options_default: {
            Response r = Response::empty(204);
            r.headers().set("Allow", match.allow);
            return r;
        }
        case RouteMatch::Kind::method_not_allowed: {
            Response r = App::error_response(req, 405);
            r.headers().set("Allow", match.allow);
            return r;
        }
        case RouteMatch::Kind::not_found:
            break;
    }
    return App::error_response(req, 404);
}

Response call_frame(const void* state, Request& req) {
    const auto* frame = static_cast<const Frame*>(state);
    const auto& stages = *frame->chain->stages;
    if (frame->index < stages.size()) {
        const Frame next{frame->chain, frame->index + 1};
        return stages[frame->index](req, Next(&call_frame, &next));
    }
    if (frame->chain->rejected_status != 0)
        return App::error_response(req, frame->chain->rejected_status);
    return dispatch(*frame->chain->match, req);
}

// LineBuffer: one access-log line built on the stack (a longer path spills to the heap), then
// written with a single fwrite: fprintf on the unbuffered stderr formats through a temporary
// stream character by character, which cost more than the rest of an inline request.
class LineBuffer {
public:
    void append(std::string_view text) {
        if (spilled_.empty() && used_ + text.size() <= inline_.size()) {
            std::memcpy(inline_.data() + used_, text.data(), text.size());
            used_ += text.size();
            return;
        }
        if (spilled_.empty()) spilled_.assign(inline_.data(), used_);
        spilled_.append(text);
    }
    template <class Int>
    void append_number(Int value) {
        std::array<char, 24> digits;
        const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
        append(std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
    }
    std::string_view view() const noexcept {
        return spilled_.empty() ? std::string_view(inline_.data(), used_) : std::string_view(spilled_);
    }

private:
    std::array<char, 512> inline_;
    std::size_t used_ = 0;
    std::string spilled_;
};

void default_access_log(const AccessLogLine& line) { write_access_log_line(stderr, line); }

std::string new_request_id() { return crypto::public_random_id(); }

}  // namespace

App::App()
    : router_(std::make_unique<Router>()),
      access_log_(default_access_log),
      running_(make_running()) {
    error_log_ = [](std::string_view request_id, std::string_view what) {
        std::fprintf(stderr, "error request_id=%.*s exception=\"%.*s\"\n",
                     static_cast<int>(request_id.size()), request_id.data(),
                     static_cast<int>(what.size()), what.data());
    };
}

App::~App() = default;


Route App::route(std::string_view method, std::string_view pattern, Handler handler) {
    RouteEntry& entry = router_->add(method, pattern, std::move(handler));
    return Route(entry.options);
}

std::vector<RouteInfo> App::routes() const {
    std::vector<RouteInfo> out;
    for (const auto& entry : router_->entries()) out.push_back({entry.method, entry.pattern, &entry.options});
    return out;
}

void App::use(Middleware middleware) { middleware_.push_back(std::move(middleware)); }

const RouteOptions* App::match_options(std::string_view method, std::string_view path) const {
    RouteMatch m = router_->match(method, path);
    return m.kind == RouteMatch::Kind::found ? m.options : nullptr;
}

Response App::handle(Request& req) const {
    if (req.request_id().empty()) req.set_request_id(new_request_id());
    if (!req.target_is_valid()) return error_response(req, 400);
    RouteMatch match = router_->match(req.method(), req.path());
    req.set_route(match.options);
    req.set_params(std::move(match.params));
    const Chain chain{&middleware_, &match, 0};
    const Frame first{&chain, 0};
    // The handler boundary: whatever a handler throws, the client sees a generic answer with
    // the request id, and the exception text goes to the server's log only.
    try {
        // A HEAD answer keeps the GET's body here: the server sends its length and not the bytes.
        return call_frame(&first, req);
    } catch (const HttpError& e) {
        Response r = error_response(req, e.status());
        if (e.status() < 500) {
            if (wants_json(req)) {
                r = Response::json("{\"error\":\"" + std::string(reason_phrase(e.status())) +
                                       "\",\"request_id\":\"" + req.request_id() + "\"}",
                                   e.status());
            }
        }
        return r;
    } catch (const std::exception& e) {
        if (error_log_) error_log_(req.request_id(), e.what());
    } catch (...) {
        if (error_log_) error_log_(req.request_id(), "non-standard exception");
    }
    return error_response(req, 500);
}

Response App::reject(Request& req, int status) const {
    if (req.request_id().empty()) req.set_request_id(new_request_id());
    const RouteMatch none;
    const Chain chain{&middleware_, &none, status};
    const Frame first{&chain, 0};
    try {
        return call_frame(&first, req);
    } catch (...) {
        return error_response(req, status);
    }
}

Response App::error_response(const Request& req, int status) {
    const std::string reason(reason_phrase(status));
    // The request id is random base64url, safe to echo; nothing else from the request is.
    if (wants_json(req)) {
        return Response::json("{\"error\":\"" + reason + "\",\"request_id\":\"" +
                                  req.request_id() + "\"}",
                              status);
    }
    return Response::html("<!doctype html><html><head><title>" + std::to_string(status) + " " +
                              reason + "</title></head><body><h1>" + std::to_string(status) +
                              " " + reason + "</h1><p>Request id: " + req.request_id() +
                              "</p></body></html>\n",
                          status);
}

void App::set_access_log(std::function<void(const AccessLogLine&)> writer) {
    access_log_ = std::move(writer);
}

void App::set_error_log(std::function<void(std::string_view, std::string_view)> writer) {
    error_log_ = std::move(writer);
}

void write_access_log_line(std::FILE* out, const AccessLogLine& line) {
    LineBuffer b;
    b.append("access method=");
    b.append(line.method);
    b.append(" path=\"");
    b.append(line.path);
    b.append("\" status=");
    b.append_number(line.status);
    b.append(" bytes=");
    b.append_number(static_cast<unsigned long long>(line.bytes));
    b.append(" duration_us=");
    b.append_number(static_cast<long long>(line.duration.count()));
    b.append(" request_id=");
    b.append(line.request_id);
    b.append("\n");
    const auto text = b.view();
    std::fwrite(text.data(), 1, text.size(), out);
}

void App::write_access_log(const AccessLogLine& line) const {
    if (access_log_) access_log_(line);
}

}  // namespace bulwark
