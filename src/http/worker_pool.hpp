// WorkerPool: a fixed set of threads with a bounded queue, for handlers that may block.
// A full queue refuses new work at once (the server answers 503) instead of growing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bulwark {

class WorkerPool {
public:
    WorkerPool(unsigned threads, std::size_t queue_limit);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // try_submit queues a task and wakes a worker for it; false when the queue is full or the
    // pool is stopping.
    bool try_submit(std::function<void()> task);
    // try_queue queues a task without waking anyone: the I/O thread queues the requests of one
    // batch of socket events, then calls wake() once. Waking a worker per request made every
    // pooled request two context switches (the woken worker preempts the I/O thread at once).
    bool try_queue(std::function<void()> task);
    // wake wakes one idle worker per queued task (at most every idle worker).
    void wake();
    // stop finishes the queued tasks and joins the threads.
    void stop();

private:
    void work();

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> queue_;
    std::size_t queue_limit_;
    std::size_t idle_ = 0;  // workers waiting for a task
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace bulwark
