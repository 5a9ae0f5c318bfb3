// account_recovery.hpp: what account_recovery.cpp and account_setup.cpp share and nothing else
// does: the jobs thread that keeps work off the request path, and the remember-me revoker.
#pragma once

#include "app_state.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace reference::detail {

// Jobs: one worker thread and a bounded queue for work that must not run on the request
// path. The destructor finishes the job in hand and drops the rest.
class Jobs {
public:
    explicit Jobs(std::size_t limit) : limit_(limit), worker_([this] { run(); }) {}
    ~Jobs() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        worker_.join();
    }
    Jobs(const Jobs&) = delete;
    Jobs& operator=(const Jobs&) = delete;

    // post: false when the queue is full (never blocks a request).
    bool post(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            if (queue_.size() >= limit_) return false;
            queue_.push_back(std::move(job));
        }
        wake_.notify_one();
        return true;
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            try {
                job();
            } catch (...) {  // a failed job costs that one mail; the worker goes on
            }
        }
    }
    std::size_t limit_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread worker_;  // last: started once the rest exists
};

// AccountRecovery: what only the account flows use. The app issues no remember-me cookies yet; tokens
// under auth's default options (the ones a remember-me login would use) are still revoked on a
// reset, so adding remember-me later cannot leave a way around it.
struct AccountRecovery {
    explicit AccountRecovery(std::unique_ptr<bulwark::auth::RememberMe> r) : remember(std::move(r)) {}
    std::unique_ptr<bulwark::auth::RememberMe> remember;
    Jobs jobs{1000};  // last: its worker stops first
};

}  // namespace reference::detail
