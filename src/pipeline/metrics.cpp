// Request metrics and the /metrics page. The stage adds a steady_clock read on each side of
// the request and two relaxed atomic additions (status count, latency bucket); the route's
// label index comes from a table built once at start, keyed by the route's options, so no
// string is built or hashed per request.
#include "metrics_stage.hpp"

#include <bulwark/config.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bulwark::pipeline {
namespace detail {
namespace {

// RouteTable: route options -> label index, and the counters for those labels. Immutable
// once published.
struct RouteTable {
    std::unordered_map<const RouteOptions*, std::size_t> index;
    std::unique_ptr<metrics::RequestMetrics> requests;
};

// MetricsState: the published table (atomic, read per request) and every table ever built
// (a second start check, as each TestClient runs one, must not free a table in use).
struct MetricsState {
    std::shared_ptr<metrics::Registry> registry;
    std::shared_ptr<const MetricsOptions> options;
    std::shared_ptr<audit::Logger> audit;
    metrics::Counter* rate_limited = nullptr;
    std::atomic<const RouteTable*> table{nullptr};
    std::mutex build_mutex;
    std::vector<std::unique_ptr<RouteTable>> tables;
};

void build_table(MetricsState& st, const App& app) {
    std::lock_guard lock(st.build_mutex);
    const auto routes = app.routes();
    if (const RouteTable* current = st.table.load(); current && current->index.size() == routes.size()) return;
    auto table = std::make_unique<RouteTable>();
    std::vector<std::string> labels;
    labels.reserve(routes.size());
    for (const auto& r : routes) {
        table->index.emplace(r.options, labels.size() + 1);
        labels.push_back(r.method + " " + r.pattern);
    }
    table->requests = std::make_unique<metrics::RequestMetrics>(std::move(labels));
    st.table.store(table.get());
    st.tables.push_back(std::move(table));
}

Middleware metrics_stage(std::shared_ptr<MetricsState> st) {
    return [st](Request& req, const Next& next) {
        const auto start = std::chrono::steady_clock::now();
        Response response = next(req);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        if (const RouteTable* table = st->table.load(std::memory_order_acquire)) {
            std::size_t index = metrics::RequestMetrics::kUnmatched;
            if (const RouteOptions* route = req.route()) {
                if (auto it = table->index.find(route); it != table->index.end()) index = it->second;
            }
            table->requests->record(index, response.status(),
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed));
        }
        if (response.status() == 429) st->rate_limited->add();
        return response;
    };
}

void write_security_events(const audit::Logger& log, metrics::Exposition& out) {
    out.family("bulwark_security_events_total",
               "Security log events since start, by OWASP vocabulary name (docs/audit.md).",
               metrics::Type::counter);
    const auto counts = log.counts();
    for (std::size_t i = 0; i < audit::kEventCount; ++i) {
        const auto name = audit::event_name(static_cast<audit::Event>(i));
        out.sample("bulwark_security_events_total", {{"event", std::string(name)}},
                   static_cast<double>(counts[i]));
    }
}

bool allowed(const MetricsState& st, const Request& req) {
    if (is_loopback(req.client_address())) return true;
    if (!st.options->api_key_allows) return false;
    const auto key = req.header("X-API-Key");
    return key && st.options->api_key_allows(*key);
}

}  // namespace

bool is_loopback(std::string_view address) noexcept {
    const auto ip = config::IpAddress::parse(address);
    if (!ip) return false;
    const auto& b = ip->bytes();
    if (ip->is_v4()) return b[0] == 127;  // IPv4-mapped ::ffff:127.x is stored as IPv4
    for (std::size_t i = 0; i < 15; ++i)
        if (b[i] != 0) return false;
    return b[15] == 1;
}

void install_metrics(App& app, const Services& services) {
    auto st = std::make_shared<MetricsState>();
    st->registry = services.metrics;
    st->options = services.metrics_options ? services.metrics_options : std::make_shared<const MetricsOptions>();
    st->audit = services.audit;
    st->rate_limited = &st->registry->counter(
        "bulwark_rate_limited_total",
        "Requests answered 429 Too Many Requests: rate limits, per-key limits and login throttles.");
    st->registry->add_collector([st_weak = std::weak_ptr<MetricsState>(st)](metrics::Exposition& out) {
        auto s = st_weak.lock();
        if (!s) return;
        if (const RouteTable* table = s->table.load(std::memory_order_acquire)) table->requests->write(out);
        if (s->audit) write_security_events(*s->audit, out);
    });
    app.add_start_check([st](const App& configured) { build_table(*st, configured); });
    app.use(metrics_stage(st));
    app.get(st->options->path, [st](Request& req) {
        // Refused exactly as an unknown path is, so the page's existence is not advertised;
        // the security log still says who asked.
        if (!allowed(*st, req)) {
            if (st->audit)
                st->audit->log(audit::Event::authz_fail, {req.request_id(), req.client_address(), {}},
                               {{"resource", "metrics"}});
            return App::error_response(req, 404);
        }
        Response response(200, st->registry->render(), std::string(metrics::kContentType));
        response.headers().set("Cache-Control", "no-store");
        return response;
    });
}

}  // namespace detail

std::shared_ptr<metrics::Registry> enable_metrics(Services& services, MetricsOptions options) {
    if (!services.metrics) services.metrics = std::make_shared<metrics::Registry>();
    services.metrics_options = std::make_shared<const MetricsOptions>(std::move(options));
    return services.metrics;
}

}  // namespace bulwark::pipeline
