// Counter, Histogram and Registry: registration under a lock at start, lock-free updates.
#include <bulwark/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace bulwark::metrics {

Histogram::Histogram(std::span<const double> bounds) : bounds_(bounds.begin(), bounds.end()) {
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
            throw std::invalid_argument("metrics: histogram bounds must be finite and increasing");
    }
    buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(std::chrono::nanoseconds duration) noexcept {
    const double seconds = static_cast<double>(duration.count()) / 1e9;
    // A dozen bounds: a linear scan beats a binary search and touches one cache line.
    std::size_t i = 0;
    while (i < bounds_.size() && seconds > bounds_[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(duration.count(), std::memory_order_relaxed);
}

void Histogram::observe_seconds(double seconds) noexcept {
    if (std::isnan(seconds)) return;
    const double clamped = std::clamp(seconds, -9.0e9, 9.0e9);  // no overflow in the cast
    observe(std::chrono::nanoseconds(static_cast<std::int64_t>(clamped * 1e9)));
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.cumulative.reserve(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    // The count is the +Inf bucket, so _count and le="+Inf" always agree within one scrape.
    s.count = running;
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

namespace {

void check_labels(const Labels& labels) {
    for (const auto& [name, value] : labels)
        if (!valid_label_name(name) || name == "le")
            throw std::invalid_argument("metrics: invalid label name \"" + name + "\"");
}

}  // namespace

Counter& Registry::counter(std::string name, std::string help, Labels labels) {
    if (!valid_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name \"" + name + "\"");
    check_labels(labels);
    std::lock_guard lock(mutex_);
    for (auto& e : entries_) {
        if (e.name != name) continue;
        if (e.type != Type::counter) throw std::invalid_argument("metrics: \"" + name + "\" is not a counter");
        if (e.labels == labels) return *e.counter;
    }
    auto& e = entries_.emplace_back();
    e.name = std::move(name);
    e.help = std::move(help);
    e.type = Type::counter;
    e.labels = std::move(labels);
    e.counter = std::make_unique<Counter>();
    return *e.counter;
}

Histogram& Registry::histogram(std::string name, std::string help, Labels labels, std::span<const double> bounds) {
    if (!valid_metric_name(name)) throw std::invalid_argument("metrics: invalid metric name \"" + name + "\"");
    check_labels(labels);
    std::lock_guard lock(mutex_);
    for (auto& e : entries_) {
        if (e.name != name) continue;
        if (e.type != Type::histogram) throw std::invalid_argument("metrics: \"" + name + "\" is not a histogram");
        if (e.labels == labels) return *e.histogram;
    }
    auto& e = entries_.emplace_back();
    e.name = std::move(name);
    e.help = std::move(help);
    e.type = Type::histogram;
    e.labels = std::move(labels);
    e.histogram = std::make_unique<Histogram>(bounds);
    return *e.histogram;
}

void Registry::add_collector(std::function<void(Exposition&)> collect) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collect));
}

std::string Registry::render() const {
    Exposition out;
    std::lock_guard lock(mutex_);
    // Samples of one family must be together: group entries by name in registration order.
    std::vector<bool> done(entries_.size(), false);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (done[i]) continue;
        const auto& head = entries_[i];
        out.family(head.name, head.help, head.type);
        for (std::size_t j = i; j < entries_.size(); ++j) {
            const auto& e = entries_[j];
            if (done[j] || e.name != head.name) continue;
            done[j] = true;
            if (e.counter) out.sample(e.name, e.labels, static_cast<double>(e.counter->value()));
            else out.histogram(e.name, e.labels, *e.histogram);
        }
    }
    for (const auto& collect : collectors_) collect(out);
    return out.take();
}

}  // namespace bulwark::metrics
