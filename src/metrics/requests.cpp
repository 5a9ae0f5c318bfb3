// RequestMetrics: per-route request counts by status and latency, fixed at construction.
#include <bulwark/metrics.hpp>

namespace bulwark::metrics {

RequestMetrics::RequestMetrics(std::vector<std::string> routes) {
    labels_.reserve(routes.size() + 1);
    labels_.emplace_back(kUnmatchedLabel);
    for (auto& r : routes) labels_.push_back(std::move(r));
    routes_.reserve(labels_.size());
    for (std::size_t i = 0; i < labels_.size(); ++i) routes_.push_back(std::make_unique<Route>());
}

void RequestMetrics::record(std::size_t route, int status, std::chrono::nanoseconds duration) noexcept {
    if (route >= routes_.size()) route = kUnmatched;
    if (status < kFirstStatus || status >= kFirstStatus + kStatusCount) status = 500;
    auto& r = *routes_[route];
    r.by_status[static_cast<std::size_t>(status - kFirstStatus)].fetch_add(1, std::memory_order_relaxed);
    r.latency.observe(duration);
}

std::uint64_t RequestMetrics::count_for_testing(std::size_t route, int status) const noexcept {
    if (route >= routes_.size() || status < kFirstStatus || status >= kFirstStatus + kStatusCount) return 0;
    return routes_[route]->by_status[static_cast<std::size_t>(status - kFirstStatus)].load(std::memory_order_relaxed);
}

void RequestMetrics::write(Exposition& out) const {
    out.family("bulwark_http_requests_total", "HTTP requests answered, by route pattern and status.",
               Type::counter);
    Labels labels{{"route", ""}, {"status", ""}};
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        labels[0].second = labels_[i];
        for (int s = 0; s < kStatusCount; ++s) {
            const auto n = routes_[i]->by_status[static_cast<std::size_t>(s)].load(std::memory_order_relaxed);
            if (n == 0) continue;
            labels[1].second = std::to_string(kFirstStatus + s);
            out.sample("bulwark_http_requests_total", labels, static_cast<double>(n));
        }
    }
    out.family("bulwark_http_request_duration_seconds",
               "Time from the first middleware stage to the response, by route pattern.", Type::histogram);
    Labels route_only{{"route", ""}};
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        if (routes_[i]->latency.snapshot().count == 0) continue;
        route_only[0].second = labels_[i];
        out.histogram("bulwark_http_request_duration_seconds", route_only, routes_[i]->latency);
    }
}

}  // namespace bulwark::metrics
