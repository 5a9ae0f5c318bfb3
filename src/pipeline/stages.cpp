// The default middleware stages and the per-request helpers handlers use (nonce, session,
// CSRF token). Each stage is a lambda over shared, immutable state; no stage keeps anything
// per request outside `req.local<...>()`.
#include "metrics_stage.hpp"

#include <bulwark/form.hpp>
#include <bulwark/pipeline.hpp>
#include <bulwark/upload.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace bulwark::pipeline {
namespace {

// State: what the stages share; built once at install and never mutated afterwards, except
// the parsed-limits cache, which has its own lock.
struct State {
    Services services;
    headers::Environment environment = headers::Environment::development;
    mutable std::mutex limits_mutex;
    mutable std::map<const RouteOptions*, std::vector<ratelimit::Limit>> limits_cache;
    // The second (steady clock) of the last store-outage line, so an outage logs once a
    // second, not once per request.
    mutable std::atomic<std::int64_t> last_outage_log{-1};
};

// CsrfSecretCache: the session's secret decoded once per request.
struct CsrfSecretCache {
    std::optional<crypto::SecretBytes> secret;
};

bool wants_json(const Request& req) {
    if (req.path().rfind("/api/", 0) == 0 || req.path() == "/api") return true;
    auto accept = req.header("Accept");
    return accept && accept->find("application/json") != std::string_view::npos &&
           accept->find("text/html") == std::string_view::npos;
}

// refusal answers with a fixed message written by Bulwark (never text from the request).
Response refusal(const Request& req, int status, std::string_view message) {
    const std::string reason(reason_phrase(status));
    if (wants_json(req)) {
        return Response::json("{\"error\":\"" + std::string(message) + "\",\"request_id\":\"" +
                                  req.request_id() + "\"}",
                              status);
    }
    return Response::html("<!doctype html><html><head><title>" + std::to_string(status) + " " +
                              reason + "</title></head><body><h1>" + std::to_string(status) + " " +
                              reason + "</h1><p>" + std::string(message) + "</p><p>Request id: " +
                              req.request_id() + "</p></body></html>\n",
                          status);
}

audit::Context context_of(const Request& req) {
    return {req.request_id(), req.client_address(), req.identity()};
}

void log_event(const State& st, audit::Event event, const Request& req,
               std::initializer_list<audit::Field> fields = {}) {
    if (st.services.audit) st.services.audit->log(event, context_of(req), fields);
}

// log_store_outage writes one error-log line a second while the shared store (Redis) cannot
// answer; `what` is a fixed name (never request text).
void log_store_outage(const State& st, const Request& req, std::string_view what) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now().time_since_epoch()).count();
    auto last = st.last_outage_log.load(std::memory_order_relaxed);
    if (last == now || !st.last_outage_log.compare_exchange_strong(last, now)) return;
    const std::string message = "store unavailable: " + std::string(what) + " refused (fails closed)";
    if (st.services.error_log) st.services.error_log(req.request_id(), message);
    else std::fprintf(stderr, "error request_id=%s %s\n", req.request_id().c_str(), message.c_str());
}

// unavailable answers 503 with Retry-After: the store a security decision needs is down, so
// the request is refused rather than waved through (or blamed on the client with a 4xx).
Response unavailable(const Request& req, std::chrono::seconds retry_after) {
    Response response = App::error_response(req, 503);
    response.headers().set("Retry-After", std::to_string(std::max<std::int64_t>(1, retry_after.count())));
    return response;
}

// merge_header adds one field; Vary is merged with what the handler set instead of replaced.
void merge_header(Response& response, const std::string& name, const std::string& value) {
    if (iequals(name, "Vary")) {
        if (auto existing = response.headers().get("Vary"); existing && !existing->empty()) {
            if (existing->find(value) == std::string_view::npos)
                response.headers().set("Vary", std::string(*existing) + ", " + value);
            return;
        }
    }
    response.headers().set(name, value);
}

const crypto::SecretBytes* session_secret(Request& req, bool create) {
    auto& cache = req.local<CsrfSecretCache>();
    if (cache.secret) return &*cache.secret;
    SessionSlot* slot = req.find_local<SessionSlot>();
    if (slot == nullptr || !slot->present) return nullptr;
    if (const auto* v = slot->session.get(kCsrfSessionKey); v != nullptr && v->is_string()) {
        const auto& text = v->get_string();
        if (auto bytes = crypto::base64url_decode(std::string_view(text.data(), text.size()));
            bytes && bytes->size() == csrf::kSecretSize) {
            cache.secret.emplace(crypto::ByteView(bytes->data(), bytes->size()));
            return &*cache.secret;
        }
    }
    if (!create) return nullptr;
    cache.secret.emplace(csrf::new_session_secret());
    slot->session.set(kCsrfSessionKey, boost::json::string(crypto::base64url_encode(cache.secret->reveal())));
    return &*cache.secret;
}

// multipart_token finds the text part `csrf_token` of a multipart form (upload forms), reading
// no more than the token's bounded size from it; file parts are skipped, never stored.
std::optional<std::string> multipart_token(std::string_view body, std::string_view content_type) {
    auto boundary = upload::boundary_from_content_type(content_type);
    if (!boundary) return std::nullopt;
    upload::MultipartDecoder decoder(*boundary);
    if (!decoder.feed(body)) return std::nullopt;
    decoder.finish();
    bool in_token = false;
    std::string value;
    for (;;) {
        const auto event = decoder.next();
        switch (event.kind) {
            case upload::Event::Kind::part_begin:
                in_token = event.part != nullptr && event.part->name == csrf::kFormField && !event.part->filename;
                value.clear();
                break;
            case upload::Event::Kind::data:
                if (in_token) {
                    if (value.size() + event.data.size() > csrf::kMaxTokenLength) return std::nullopt;
                    value.append(event.data);
                }
                break;
            case upload::Event::Kind::part_end:
                if (in_token) return value;
                break;
            default:
                return std::nullopt;
        }
    }
}

std::optional<std::string> submitted_token(const Request& req) {
    auto type = req.header("Content-Type").value_or("");
    if (type.size() >= 33 && iequals(type.substr(0, 33), "application/x-www-form-urlencoded")) {
        if (auto fields = form::parse_urlencoded(req.body()); fields) {
            if (auto t = fields->get(csrf::kFormField)) return std::string(*t);
        }
    }
    if (type.size() >= 19 && iequals(type.substr(0, 19), "multipart/form-data")) {
        if (auto token = multipart_token(req.body(), type)) return token;
    }
    if (auto header = req.header(csrf::kHeader)) return std::string(*header);
    return std::nullopt;
}

// ResponseSink adds the security headers straight into the response (one copy each).
class ResponseSink final : public headers::HeaderSink {
public:
    explicit ResponseSink(Response& response) : response_(response) {}
    void add(std::string_view name, std::string_view value) override { response_.headers().add(name, value); }

private:
    Response& response_;
};

// HeaderNames: copies of a response's header names, because adding the security headers may
// move the response's own strings. Kept on the stack for the usual handful of short names (this
// runs on every response), in a vector only for an unusual response.
class HeaderNames {
public:
    explicit HeaderNames(const Headers& headers) {
        const auto& fields = headers.fields();
        std::size_t bytes = 0;
        for (const auto& field : fields) bytes += field.first.size();
        if (fields.size() <= kInline && bytes <= kInlineBytes) {
            std::size_t used = 0;
            for (const auto& field : fields) {
                std::copy(field.first.begin(), field.first.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(used));
                inline_[count_++] = std::string_view(bytes_.data() + used, field.first.size());
                used += field.first.size();
            }
            return;
        }
        for (const auto& field : fields) spilled_names_.push_back(field.first);
        spilled_.assign(spilled_names_.begin(), spilled_names_.end());
    }
    HeaderNames(const HeaderNames&) = delete;
    HeaderNames& operator=(const HeaderNames&) = delete;

    std::span<const std::string_view> views() const noexcept {
        if (!spilled_.empty()) return spilled_;
        return {inline_.data(), count_};
    }

private:
    static constexpr std::size_t kInline = 16;
    static constexpr std::size_t kInlineBytes = 512;
    std::array<char, kInlineBytes> bytes_;
    std::array<std::string_view, kInline> inline_;
    std::size_t count_ = 0;
    std::vector<std::string> spilled_names_;
    std::vector<std::string_view> spilled_;
};

// kAddedHeaders: room for the usual security headers and the rate-limit ones; kept small
// enough that the list stays in malloc's per-thread cache (an unusual response grows it).
constexpr std::size_t kAddedHeaders = 12;

// --- the stages --------------------------------------------------------------------------

// FixedHeaders: the policy's headers that every response carries alike, rendered once as a
// shared block; a response that set one of them itself gets them one by one instead, so a
// handler's own value still wins.
struct FixedHeaders {
    std::shared_ptr<const HeaderBlock> block;
    std::vector<std::string> names;

    explicit FixedHeaders(const headers::Policy& policy) {
        auto fields = headers::fixed_headers(policy);
        for (const auto& field : fields) names.push_back(field.first);
        if (!fields.empty()) block = std::make_shared<const HeaderBlock>(std::move(fields));
    }
    bool usable_with(std::span<const std::string_view> existing) const noexcept {
        if (!block) return false;
        return std::none_of(existing.begin(), existing.end(), [&](std::string_view e) {
            return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return iequals(e, n); });
        });
    }
};

Middleware headers_stage(std::shared_ptr<const State> st) {
    auto fixed = std::make_shared<const FixedHeaders>(st->services.headers);
    return [st, fixed](Request& req, const Next& next) {
        req.local<CspNonce>().value = headers::make_nonce();
        Response response;
        // A handler's exception is turned into the generic answer here, not in App::handle,
        // so the 500 still leaves through this stage and carries the security headers.
        try {
            response = next(req);
        } catch (const HttpError& e) {
            response = App::error_response(req, e.status());
        } catch (const std::exception& e) {
            if (st->services.error_log) {
                st->services.error_log(req.request_id(), e.what());
            } else {
                std::fprintf(stderr, "error request_id=%s exception=\"%s\"\n", req.request_id().c_str(), e.what());
            }
            response = App::error_response(req, 500);
        } catch (...) {
            response = App::error_response(req, 500);
        }
        bool strip = false;
        for (const auto& [name, value] : response.headers().fields()) strip = strip || headers::must_strip(name);
        if (strip) {
            std::vector<std::string> names;
            for (const auto& [name, value] : response.headers().fields())
                if (headers::must_strip(name)) names.push_back(name);
            for (const auto& name : names) response.headers().remove(name);
        }
        // Room for the security headers and the few the outer stages add (rate limit, CORS),
        // so the field list grows once instead of doubling four times per response.
        response.headers().reserve(response.headers().size() + kAddedHeaders);
        const HeaderNames existing(response.headers());
        const auto* hints = req.find_local<ResponseHints>();
        headers::ResponseFacts facts{.nonce = req.local<CspNonce>().value,
                                     .is_https = req.is_https(),
                                     .logged_in = !req.identity().empty(),
                                     .logout = hints != nullptr && hints->logout,
                                     .existing = existing.views()};
        // compute_into skips every name the response already has, so add() cannot duplicate one.
        facts.fixed_added_by_caller = fixed->usable_with(facts.existing);
        ResponseSink sink(response);
        headers::compute_into(st->services.headers, facts, sink);
        if (facts.fixed_added_by_caller) response.headers().add_block(fixed->block);
        return response;
    };
}

Middleware https_stage(std::shared_ptr<const State> st) {
    return [st](Request& req, const Next& next) {
        auto decision = headers::https_redirect(req.method(), req.header("Host").value_or(""),
                                                req.target(), req.is_https(), st->environment,
                                                st->services.redirect);
        if (!decision) return App::error_response(req, 400);
        if (*decision) return Response::redirect((*decision)->location, (*decision)->status);
        return next(req);
    };
}

Middleware cors_stage(std::shared_ptr<const State> st) {
    return [st](Request& req, const Next& next) {
        auto d = st->services.cors->evaluate(req.path(), req.method(), req.header("Origin"),
                                             req.header("Access-Control-Request-Method"),
                                             req.header("Access-Control-Request-Headers"));
        if (!d.matched) return next(req);
        Response response = d.is_preflight ? Response::empty(d.status) : next(req);
        if (d.is_preflight && !d.allowed && req.header("Origin"))
            log_event(*st, audit::Event::malicious_cors, req, {{"path", req.path()}});
        for (const auto& [name, value] : d.headers) merge_header(response, name, value);
        return response;
    };
}

const std::vector<ratelimit::Limit>& limits_for(const State& st, const RouteOptions& route) {
    if (route.rate_limits.empty()) return st.services.default_limits;
    std::lock_guard lock(st.limits_mutex);
    auto it = st.limits_cache.find(&route);
    if (it != st.limits_cache.end()) return it->second;
    std::vector<ratelimit::Limit> all;
    for (const auto& text : route.rate_limits) {
        auto parsed = ratelimit::parse_or_throw(text);  // a bad string is the app's bug: 500
        all.insert(all.end(), parsed.begin(), parsed.end());
    }
    return st.limits_cache.emplace(&route, std::move(all)).first->second;
}

Middleware ratelimit_stage(std::shared_ptr<const State> st) {
    return [st](Request& req, const Next& next) {
        const RouteOptions* route = req.route();
        if (route == nullptr || route->no_rate_limit) return next(req);
        const auto& limits = limits_for(*st, *route);
        if (limits.empty()) return next(req);
        // The route's name ("METHOD pattern" unless renamed), so /items/1 and /items/2 share
        // one bucket.
        const std::string scope = route->name.empty() ? req.method() + " " + req.path() : route->name;
        auto d = st->services.limiter->check(scope, ratelimit::address_key(req.client_address()), limits);
        Response response;
        if (!d.allowed && d.degraded) {
            // The shared counters cannot be read (fail_closed): the client is not over its
            // limit as far as anyone knows, so 503, not 429.
            log_store_outage(*st, req, "rate limit");
            return unavailable(req, d.retry_after);
        }
        if (!d.allowed) {
            if (d.first_exceeded_in_window)
                log_event(*st, audit::Event::excess_rate_limit_exceeded, req, {{"scope", scope}});
            response = App::error_response(req, 429);
        } else {
            response = next(req);
        }
        // A handler with its own, tighter limit (per API key) keeps its headers.
        for (const auto& [name, value] : ratelimit::headers(d))
            if (!response.headers().contains(name)) response.headers().set(name, value);
        return response;
    };
}

Middleware session_stage(std::shared_ptr<const State> st) {
    return [st](Request& req, const Next& next) {
        const auto& manager = *st->services.sessions;
        auto& slot = req.local<SessionSlot>();
        const auto cookie = req.cookie(manager.cookie_name());
        slot.session = manager.load(cookie.value_or(""), req.client_address(),
                                    req.header("User-Agent").value_or(""));
        slot.present = true;
        if (slot.session.state() == session::LoadState::expired)
            log_event(*st, audit::Event::session_expired, req);
        // An unreadable session grants nothing: the request goes on as anonymous.
        if (slot.session.state() == session::LoadState::store_error) log_store_outage(*st, req, "session load");
        if (!slot.session.user_id().empty()) req.set_identity(slot.session.user_id());
        Response response = next(req);
        const bool was_new = slot.session.is_new();
        auto saved = manager.save(slot.session);
        if (!saved) {
            const auto reason = session::save_error_name(saved.error());
            std::fprintf(stderr, "error request_id=%s session save failed: %.*s\n", req.request_id().c_str(),
                         static_cast<int>(reason.size()), reason.data());
            return response;
        }
        if (*saved) {
            const auto& spec = **saved;
            Cookie c;
            c.name = spec.name;
            c.value = spec.value;
            c.path = std::string(spec.path);
            c.max_age = spec.max_age;
            c.secure = spec.secure;
            c.http_only = spec.http_only;
            c.same_site = spec.same_site == "Strict" ? SameSite::strict
                          : spec.same_site == "None" ? SameSite::none
                                                     : SameSite::lax;
            response.set_cookie(std::move(c));
            if (was_new && !slot.session.is_new())
                log_event(*st, audit::Event::session_created, req);
        }
        return response;
    };
}

Middleware csrf_stage(std::shared_ptr<const State> st) {
    return [st](Request& req, const Next& next) {
        const RouteOptions* route = req.route();
        // No route: the answer is a 404/405 that changes nothing. Exempt routes never read
        // the session cookie (bearer-token APIs).
        if (csrf::is_safe_method(req.method()) || route == nullptr || route->csrf_exempt)
            return next(req);
        // The session holding the CSRF secret was sent but could not be read: the check
        // cannot be made, and the client did nothing wrong, so 503 rather than a CSRF 400.
        if (!st->services.csrf_secret) {
            if (const auto* slot = req.find_local<SessionSlot>();
                slot != nullptr && slot->present && slot->session.state() == session::LoadState::store_error) {
                log_store_outage(*st, req, "CSRF check");
                return unavailable(req, std::chrono::seconds{5});
            }
        }
        const auto token = submitted_token(req);
        csrf::RequestFacts facts{
            .method = req.method(),
            .is_https = req.is_https(),
            .host = req.header("Host").value_or(""),
            .sec_fetch_site = req.header("Sec-Fetch-Site"),
            .origin = req.header("Origin"),
            .referer = req.header("Referer"),
            .submitted_token = token ? std::optional<std::string_view>(*token) : std::nullopt,
            .session_secret = st->services.csrf_secret ? st->services.csrf_secret(req)
                                                       : session_secret(req, false),
            .double_submit_cookie = std::nullopt};
        auto ok = csrf::check_request(st->services.csrf, facts);
        if (!ok) {
            log_event(*st, audit::Event::malicious_csrf, req,
                      {{"reason", csrf::error_name(ok.error())}, {"path", req.path()}});
            return refusal(req, 400, csrf::error_message(ok.error()));
        }
        return next(req);
    };
}

}  // namespace

void install_defaults(App& app, const Config& config, Services& services) {
    headers::validate_policy(services.headers);
    csrf::validate_policy(services.csrf);
    if (services.csrf.csrf_exempt)
        throw std::invalid_argument("pipeline: CSRF cannot be exempted app-wide; use .csrf_exempt() per route");
    auto st = std::make_shared<State>();
    st->services = services;
    st->environment = config.is_production() ? headers::Environment::production
                                             : headers::Environment::development;
    std::shared_ptr<const State> shared = st;
    // Routes are added after the pipeline, so their limit strings are checked when the app
    // starts: a typo stops the start with the route named, as Flask-Limiter does.
    app.add_start_check([shared](const App& configured) {
        for (const auto& route : configured.routes()) {
            try {
                limits_for(*shared, *route.options);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument("route " + route.method + " " + route.pattern + ": " + e.what());
            }
        }
    });
    if (services.metrics) detail::install_metrics(app, services);  // 0: counts and times every answer
    app.use(headers_stage(shared));                            // 1: every answer gets the headers
    if (config.is_production()) app.use(https_stage(shared));  // 2: nothing read over plain HTTP
    if (services.cors) app.use(cors_stage(shared));            // 3: preflights cost no quota
    if (services.limiter) app.use(ratelimit_stage(shared));    // 4: refuse floods before store reads
    if (services.sessions) app.use(session_stage(shared));     // 5: the CSRF secret and the user
    app.use(csrf_stage(shared));                               // 6: last check before the handler
}

const std::string& csp_nonce(Request& req) { return req.local<CspNonce>().value; }

session::Session& session(Request& req) { return req.local<SessionSlot>().session; }

std::string csrf_token(Request& req) {
    const crypto::SecretBytes* secret = session_secret(req, true);
    return secret == nullptr ? std::string() : csrf::masked_token(*secret);
}

void mark_logout(Request& req) { req.local<ResponseHints>().logout = true; }

}  // namespace bulwark::pipeline
