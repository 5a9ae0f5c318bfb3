// logger.cpp: the Logger (format outside any lock, count, hand to the sink) and RateGuard.
#include <bulwark/audit.hpp>

namespace bulwark::audit {

Logger::Logger(std::shared_ptr<Sink> sink, Options options)
    : sink_(std::move(sink)), options_(std::move(options)) {
    if (!sink_) sink_ = stderr_sink();
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

void Logger::log(Event event, const Context& context, std::initializer_list<Field> fields) noexcept {
    log(event, context, std::span<const Field>(fields.begin(), fields.size()));
}

void Logger::log(Event event, const Context& context, std::span<const Field> fields) noexcept {
    const auto index = static_cast<std::size_t>(event);
    if (index >= kEventCount) return;
    counts_[index].fetch_add(1, std::memory_order_relaxed);
    try {
        Record record{event, options_.now ? options_.now() : std::chrono::system_clock::now(),
                      options_.app, context, fields};
        const std::string line = format_line(record);
        sink_->write(event_level(event), line);
    } catch (...) {
        // Out of memory: losing one line beats taking the request down with it.
    }
}

Result<void, SinkError> Logger::reopen() { return sink_->reopen(); }

Counts Logger::counts() const noexcept {
    Counts out{};
    for (std::size_t i = 0; i < kEventCount; ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
}

std::uint64_t Logger::count(Event event) const noexcept {
    const auto index = static_cast<std::size_t>(event);
    return index < kEventCount ? counts_[index].load(std::memory_order_relaxed) : 0;
}

RateGuard::RateGuard(std::chrono::milliseconds window, std::size_t max_keys)
    : window_(window), max_keys_(max_keys) {}

void RateGuard::prune(std::chrono::steady_clock::time_point now) {
    std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.window_start >= window_; });
}

RateGuard::Admit RateGuard::admit(Event event, std::string_view key,
                                  std::chrono::steady_clock::time_point now) {
    std::string id;
    id.reserve(key.size() + 40);
    id += event_name(event);
    id += '\0';  // event names never hold NUL, so (event, key) pairs cannot collide
    id += key;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end()) {
        if (entries_.size() >= max_keys_) {
            prune(now);
            if (entries_.size() >= max_keys_) {
                ++overflowed_;
                return {false, 0};
            }
        }
        entries_.emplace(std::move(id), Entry{now, 0});
        return {true, 0};
    }
    if (now - it->second.window_start >= window_) {
        const std::uint64_t held = it->second.suppressed;
        it->second = Entry{now, 0};
        return {true, held};
    }
    ++it->second.suppressed;
    return {false, 0};
}

std::uint64_t RateGuard::overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
}

}  // namespace bulwark::audit
