// StreamChannel: the hand-off of a streamed request body from the I/O thread that reads it to
// the worker thread whose handler consumes it. Private to src/http; no Asio here.
//
// Two fixed pieces (kStreamPieceBytes each) circulate: the reader fills a free one while the
// handler consumes the other, so reading and consuming overlap and memory stays bounded
// whatever the body's size. When both pieces are taken the reader stops (TCP back-pressure
// then slows the client) and is woken, through `wake`, when the handler frees one.
#pragma once

#include <bulwark/http.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bulwark {

class StreamChannel final : public BodyStream {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr int kPieces = 2;

    // head: the bytes read before the pipeline ran; next() yields them first. deadline: when
    // a waiting handler gives up (a stopped server never answers).
    StreamChannel(std::string head, Clock::time_point deadline);

    // Consumer side (the handler's thread).
    Result<std::string_view, BodyError> next() override;

    // Producer side (the I/O thread). acquire returns a free piece to fill (its index), or
    // nullopt when the handler holds both: the producer then waits for `wake`.
    std::optional<int> acquire();
    char* piece_data(int index) noexcept { return pieces_[static_cast<std::size_t>(index)].data(); }
    // push hands over `size` bytes of a piece (size 0 returns it unused).
    void push(int index, std::size_t size);
    void finish();
    void fail(BodyError error);
    // set_wake: called on the consumer's thread when a piece becomes free for a waiting producer.
    void set_wake(std::function<void()> wake);

    // What the server needs once the handler returned.
    bool complete() const;                     // the whole body was read from the socket
    std::optional<BodyError> error() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable ready_cv_;
    std::string head_;
    bool head_given_ = false;
    Clock::time_point deadline_;
    std::vector<std::vector<char>> pieces_;
    std::vector<int> free_;
    std::deque<std::pair<int, std::size_t>> ready_;
    int held_ = -1;
    bool producer_waiting_ = false;
    bool finished_ = false;
    std::optional<BodyError> error_;
    std::function<void()> wake_;
};

}  // namespace bulwark
