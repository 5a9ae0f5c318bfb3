// outbox.cpp: the queue that keeps SMTP off the request path, with bounded retries.
#include <bulwark/mail.hpp>

#include <algorithm>
#include <cmath>

namespace bulwark::mail {

Outbox::Outbox(std::shared_ptr<Backend> backend, OutboxOptions options)
    : backend_(std::move(backend)), options_(std::move(options)) {
    if (!backend_) throw std::invalid_argument("Outbox needs a backend");
    options_.threads = std::max<std::size_t>(options_.threads, 1);
    options_.max_attempts = std::max(options_.max_attempts, 1);
    workers_.reserve(options_.threads);
    for (std::size_t i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { run(); });
}

Outbox::~Outbox() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    stats_.dropped += queue_.size();
}

bool Outbox::send_async(Message message) {
    // Validate now, so the caller learns at once that a message can never be sent.
    const bool valid = validate(message).ok();
    std::lock_guard lock(mutex_);
    if (!valid || stopping_ || queue_.size() >= options_.queue_limit) {
        ++stats_.refused;
        return false;
    }
    queue_.emplace(std::chrono::steady_clock::now(), Item{std::move(message), 0});
    wake_.notify_one();
    return true;
}

bool Outbox::flush(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && in_flight_ == 0; });
}

OutboxStats Outbox::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

std::chrono::milliseconds Outbox::backoff(int attempts) const {
    // initial * multiplier^(attempts-1), capped; computed in double so it cannot overflow.
    const double base = static_cast<double>(options_.initial_backoff.count()) *
                        std::pow(std::max(options_.backoff_multiplier, 1.0), std::max(attempts - 1, 0));
    const double capped = std::min(base, static_cast<double>(options_.max_backoff.count()));
    return std::chrono::milliseconds(static_cast<std::int64_t>(capped));
}

void Outbox::run() {
    std::unique_lock lock(mutex_);
    while (true) {
        if (stopping_) return;
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const auto due = queue_.begin()->first;
        if (due > std::chrono::steady_clock::now()) {
            wake_.wait_until(lock, due);
            continue;
        }
        Item item = std::move(queue_.begin()->second);
        queue_.erase(queue_.begin());
        ++in_flight_;
        lock.unlock();

        ++item.attempts;
        const auto result = backend_->send(item.message);
        bool gave_up = false;
        SendError error = SendError::server_error;
        auto delay = std::chrono::milliseconds(0);
        if (!result) {
            error = result.error();
            gave_up = !is_transient(error) || item.attempts >= options_.max_attempts;
            if (!gave_up) {
                delay = backoff(item.attempts);
                if (options_.jitter && delay.count() > 1) {
                    // Spread retries so a mail server coming back is not hit by all at once.
                    const auto half = delay.count() / 2;
                    const auto span = static_cast<std::uint32_t>(std::min<std::int64_t>(half + 1, UINT32_MAX));
                    delay = std::chrono::milliseconds(delay.count() - half + crypto::random_uniform(span));
                }
            }
        }
        if (gave_up && options_.on_give_up) {
            try {
                options_.on_give_up(item.message, error);
            } catch (...) {
                // A failing callback must not kill the worker.
            }
        }

        lock.lock();
        --in_flight_;
        if (result) {
            ++stats_.sent;
        } else if (gave_up) {
            ++stats_.failed;
        } else {
            ++stats_.retried;
            queue_.emplace(std::chrono::steady_clock::now() + delay, std::move(item));
        }
        if (queue_.empty() && in_flight_ == 0) idle_.notify_all();
        wake_.notify_one();
    }
}

}  // namespace bulwark::mail
