#include "worker_pool.hpp"

#include <algorithm>

namespace bulwark {

WorkerPool::WorkerPool(unsigned threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
    threads_.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_submit(std::function<void()> task) {
    if (!try_queue(std::move(task))) return false;
    ready_.notify_one();
    return true;
}

bool WorkerPool::try_queue(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(task));
    return true;
}

void WorkerPool::wake() {
    std::size_t wanted = 0;
    std::size_t idle = 0;
    {
        std::lock_guard lock(mutex_);
        idle = idle_;
        wanted = std::min(queue_.size(), idle_);
    }
    if (wanted == 0) return;
    if (wanted == idle) return ready_.notify_all();
    for (std::size_t i = 0; i < wanted; ++i) ready_.notify_one();
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::work() {
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            ++idle_;
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            --idle_;
            if (queue_.empty()) return;  // stopping, and nothing left to finish
            task = std::move(queue_.front());
            queue_.pop_front();
        }
        task();
    }
}

}  // namespace bulwark
