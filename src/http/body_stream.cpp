// BodyStream implementations: the in-memory one behind every non-streaming request (and the
// test client), and StreamChannel, the server's hand-off between the I/O and worker threads.
#include "body_stream.hpp"

namespace bulwark {
namespace {

// MemoryBody: body() as one piece, then the end.
class MemoryBody final : public BodyStream {
public:
    explicit MemoryBody(const std::string& body) : body_(&body) {}
    Result<std::string_view, BodyError> next() override {
        if (given_) return std::string_view{};
        given_ = true;
        return std::string_view(*body_);
    }

private:
    const std::string* body_;
    bool given_ = false;
};

}  // namespace

int body_error_status(BodyError e) noexcept {
    switch (e) {
        case BodyError::too_large: return 413;
        case BodyError::timeout: return 408;
        case BodyError::malformed:
        case BodyError::aborted: break;
    }
    return 400;
}

std::string_view body_error_name(BodyError e) noexcept {
    switch (e) {
        case BodyError::too_large: return "too_large";
        case BodyError::malformed: return "malformed";
        case BodyError::aborted: return "aborted";
        case BodyError::timeout: return "timeout";
    }
    return "unknown";
}

BodyStream& Request::body_stream() {
    if (!body_stream_) body_stream_ = std::make_shared<MemoryBody>(body_);
    return *body_stream_;
}

StreamChannel::StreamChannel(std::string head, Clock::time_point deadline)
    : head_(std::move(head)), deadline_(deadline) {
    for (int i = 0; i < kPieces; ++i) free_.push_back(i);
    pieces_.resize(kPieces);
}

Result<std::string_view, BodyError> StreamChannel::next() {
    bool wake = false;
    std::unique_lock lock(mutex_);
    if (held_ >= 0) {
        free_.push_back(std::exchange(held_, -1));
        wake = std::exchange(producer_waiting_, false);
    }
    if (!head_given_) {
        head_given_ = true;
        if (!head_.empty()) {
            lock.unlock();
            if (wake && wake_) wake_();
            return std::string_view(head_);
        }
    }
    head_.clear();
    head_.shrink_to_fit();
    if (wake && wake_) {
        // Wake outside the lock: the producer's first step takes it.
        lock.unlock();
        wake_();
        lock.lock();
    }
    const bool arrived = ready_cv_.wait_until(lock, deadline_, [this] {
        return !ready_.empty() || finished_ || error_.has_value();
    });
    if (!arrived) {
        if (!error_) error_ = BodyError::timeout;
        return *error_;
    }
    if (!ready_.empty()) {
        auto [index, size] = ready_.front();
        ready_.pop_front();
        held_ = index;
        return std::string_view(pieces_[static_cast<std::size_t>(index)].data(), size);
    }
    if (error_) return *error_;
    return std::string_view{};
}

std::optional<int> StreamChannel::acquire() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) {
        producer_waiting_ = true;
        return std::nullopt;
    }
    const int index = free_.back();
    free_.pop_back();
    auto& piece = pieces_[static_cast<std::size_t>(index)];
    if (piece.empty()) piece.resize(kStreamPieceBytes);  // allocated on first use only
    return index;
}

void StreamChannel::push(int index, std::size_t size) {
    {
        std::lock_guard lock(mutex_);
        if (size == 0) {
            free_.push_back(index);
            return;
        }
        ready_.emplace_back(index, size);
    }
    ready_cv_.notify_one();
}

void StreamChannel::finish() {
    {
        std::lock_guard lock(mutex_);
        finished_ = true;
    }
    ready_cv_.notify_one();
}

void StreamChannel::fail(BodyError error) {
    {
        std::lock_guard lock(mutex_);
        if (finished_ || error_) return;
        error_ = error;
    }
    ready_cv_.notify_one();
}

void StreamChannel::set_wake(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
}

bool StreamChannel::complete() const {
    std::lock_guard lock(mutex_);
    return finished_;
}

std::optional<BodyError> StreamChannel::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

}  // namespace bulwark
