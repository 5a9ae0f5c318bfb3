// bulwark/metrics.hpp: counters and histograms, rendered in the Prometheus text exposition
// format (version 0.0.4) for a `/metrics` endpoint.
//
// What it does: a Registry holds counters and histograms registered at start, and collectors
// that add samples computed at scrape time (the security log's event counts). RequestMetrics
// counts requests per route and status and times them in a fixed-bucket histogram. The hot
// path is one or two relaxed atomic additions: no lock, no allocation, no string work;
// rendering (a scrape) does the formatting.
//
// Security model: label values come from the app's own route table and fixed names, never
// from a request, so a client cannot grow the number of series (an unknown path is counted
// under one "unmatched" route). Label values are escaped as the format says (\\, \", \n), so
// even a strange route name cannot forge a sample line; metric and label names are checked
// at registration and a bad one throws std::invalid_argument (a start-time bug). Who may read
// the page is the HTTP glue's decision (pipeline::enable_metrics: loopback or an API key with
// the `metrics` scope); metrics hold counts, never a secret, a user name or an address.
// https://prometheus.io/docs/instrumenting/exposition_formats/
//
//     bulwark::metrics::Registry registry;
//     auto& logins = registry.counter("app_logins_total", "Successful logins.");
//     logins.add();
//     std::string page = registry.render();   // Content-Type: metrics::kContentType
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::metrics {

// kContentType: the Content-Type of the text format, version 0.0.4.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label: one name="value" pair. Names are checked ([a-zA-Z_][a-zA-Z0-9_]*, no "__" prefix);
// values may hold any bytes and are escaped when rendered.
using Label = std::pair<std::string, std::string>;
using Labels = std::vector<Label>;

// valid_metric_name: [a-zA-Z_:][a-zA-Z0-9_:]*. valid_label_name: [a-zA-Z_][a-zA-Z0-9_]*,
// not starting with "__" (reserved by Prometheus).
bool valid_metric_name(std::string_view name) noexcept;
bool valid_label_name(std::string_view name) noexcept;
// escape_label_value: backslash, double quote and line feed escaped as \\, \" and \n.
std::string escape_label_value(std::string_view value);
// escape_help: backslash and line feed escaped (the HELP line's rules).
std::string escape_help(std::string_view text);
// format_value renders a sample value: integers exactly, "+Inf", "-Inf", "NaN".
std::string format_value(double value);

// kLatencyBuckets: upper bounds in seconds of the request-latency histogram (fixed, as the
// Prometheus client libraries' defaults, with 1 ms and 2.5 ms added for a fast server).
inline constexpr std::array<double, 13> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

// Counter: a value that only goes up. add() is one relaxed atomic add: thread-safe, lock-free.
class Counter {
public:
    void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

// Histogram: observations counted into fixed buckets (each observation lands in the first
// bucket whose bound is >= it, the last one being +Inf). The sum is kept in nanoseconds
// as an integer, so observe() is two relaxed atomic adds and no compare-and-swap loop.
// Thread-safe; a scrape may see an observation in a bucket but not yet in the sum.
class Histogram {
public:
    // bounds: strictly increasing, finite; throws std::invalid_argument otherwise.
    explicit Histogram(std::span<const double> bounds = kLatencyBuckets);

    void observe(std::chrono::nanoseconds duration) noexcept;
    void observe_seconds(double seconds) noexcept;

    struct Snapshot {
        std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum_seconds = 0;
        std::uint64_t count = 0;
    };
    Snapshot snapshot() const;
    std::span<const double> bounds() const noexcept { return bounds_; }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
    std::atomic<std::int64_t> sum_ns_{0};
};

enum class Type { counter, gauge, histogram, untyped };
std::string_view type_name(Type t) noexcept;

// Exposition: writes the text format. A family (HELP and TYPE lines) is written once; every
// sample of it must follow before the next family starts, as the format requires.
class Exposition {
public:
    // family starts a metric family. Throws std::invalid_argument for a bad name.
    void family(std::string_view name, std::string_view help, Type type);
    // sample writes `name{labels} value`; name is the family's name or, for a histogram,
    // name_bucket / name_sum / name_count. Throws std::invalid_argument for a bad label name.
    void sample(std::string_view name, std::span<const Label> labels, double value);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value) {
        sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
    }
    // histogram writes the _bucket, _sum and _count samples of one labelled histogram.
    void histogram(std::string_view name, std::span<const Label> labels, const Histogram& h);

    const std::string& text() const noexcept { return text_; }
    std::string take() noexcept { return std::move(text_); }

private:
    std::string text_;
};

// Registry: the metrics of one app. Registration (counter, histogram, add_collector) takes a
// lock and is meant for start-up; the returned references stay valid as long as the registry.
// Registering the same name and labels twice returns the same metric. render() is
// thread-safe and may run while requests update the metrics.
class Registry {
public:
    Counter& counter(std::string name, std::string help, Labels labels = {});
    Histogram& histogram(std::string name, std::string help, Labels labels = {},
                         std::span<const double> bounds = kLatencyBuckets);
    // add_collector: `collect` is called on every render, after the registered metrics, to
    // write families of its own (values kept elsewhere, such as the security log's counts).
    void add_collector(std::function<void(Exposition&)> collect);
    // render: the whole page in the text format.
    std::string render() const;

private:
    struct Entry {
        std::string name;
        std::string help;
        Type type;
        Labels labels;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Histogram> histogram;
    };
    mutable std::mutex mutex_;
    std::deque<Entry> entries_;
    std::vector<std::function<void(Exposition&)>> collectors_;
};

// RequestMetrics: requests per route and status, and latency per route, for the HTTP glue.
// Routes are fixed at construction (the app's route table, so label cardinality is bounded);
// index kUnmatched (0) is every request that matched no route. record() is lock-free.
class RequestMetrics {
public:
    static constexpr std::size_t kUnmatched = 0;
    static constexpr std::string_view kUnmatchedLabel = "unmatched";

    // routes: the label of each route, e.g. "GET /uploads/<id>"; index i+1 in record().
    explicit RequestMetrics(std::vector<std::string> routes);

    // record counts one answered request. A status outside 100-599 is counted as 500; a
    // route index past the table counts as unmatched.
    void record(std::size_t route, int status, std::chrono::nanoseconds duration) noexcept;
    // write renders bulwark_http_requests_total{route,status} (non-zero series only) and
    // bulwark_http_request_duration_seconds{route} (routes that saw a request).
    void write(Exposition& out) const;

    std::uint64_t count_for_testing(std::size_t route, int status) const noexcept;
    std::size_t size() const noexcept { return labels_.size(); }

private:
    static constexpr int kFirstStatus = 100;
    static constexpr int kStatusCount = 500;  // 100..599
    struct Route {
        std::array<std::atomic<std::uint64_t>, kStatusCount> by_status{};
        Histogram latency;
    };
    std::vector<std::string> labels_;  // [0] = kUnmatchedLabel
    std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace bulwark::metrics
