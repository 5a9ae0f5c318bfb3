// HashPool: a fixed set of threads and a bounded queue. A caller waits for its own job only;
// when the queue is full it is told `busy` at once, so a login flood turns into 503s instead
// of an unbounded backlog (DESIGN.md, Threads).
#include <bulwark/password.hpp>

#include <stdexcept>

namespace bulwark::password {

// Job lives on the caller's stack: the caller blocks until `done`, so it outlives its turn
// in the queue.
struct HashPool::Job {
    std::function<void()> work;
    bool done = false;
    std::condition_variable finished;
};

HashPool::HashPool(std::size_t threads, std::size_t queue_limit, Hasher hasher)
    : hasher_(std::move(hasher)), queue_limit_(queue_limit) {
    if (threads == 0) throw std::invalid_argument("HashPool needs at least one thread");
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

HashPool::~HashPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

void HashPool::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and nothing left to finish
        Job* job = queue_.front();
        queue_.pop_front();
        ++running_;
        lock.unlock();
        try {
            job->work();
        } catch (...) {
            // A job that throws (only bad_alloc can) must not take the worker with it; its
            // caller sees the result it preset, Error::internal.
        }
        lock.lock();
        --running_;
        job->done = true;
        job->finished.notify_one();
    }
}

Result<void, Error> HashPool::run(std::function<void()> work) {
    Job job;
    job.work = std::move(work);
    std::unique_lock lock(mutex_);
    // Capacity is every worker busy plus queue_limit waiting; counting both (not the queue
    // alone) keeps the answer right in the instant between a push and a worker's pop.
    if (stopping_ || queue_.size() + running_ >= threads_.size() + queue_limit_) return Error::busy;
    queue_.push_back(&job);
    ready_.notify_one();
    job.finished.wait(lock, [&] { return job.done; });
    return {};
}

std::size_t HashPool::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + running_;
}

Result<std::string, Error> HashPool::hash(std::string_view password) {
    Result<std::string, Error> out = Error::internal;
    auto queued = run([&] { out = hasher_.hash(password); });
    if (!queued) return queued.error();
    return out;
}

Result<Verified, Error> HashPool::verify(std::string_view password, std::string_view stored) {
    Result<Verified, Error> out = Error::internal;
    auto queued = run([&] { out = hasher_.verify(password, stored); });
    if (!queued) return queued.error();
    return out;
}

Result<Rehashed, Error> HashPool::verify_and_rehash(std::string_view password,
                                                    std::string_view stored) {
    Result<Rehashed, Error> out = Error::internal;
    auto queued = run([&] { out = hasher_.verify_and_rehash(password, stored); });
    if (!queued) return queued.error();
    return out;
}

Result<void, Error> HashPool::verify_dummy(std::string_view password) {
    return run([&] { hasher_.verify_dummy(password); });
}

}  // namespace bulwark::password
