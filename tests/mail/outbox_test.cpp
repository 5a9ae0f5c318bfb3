// outbox_test.cpp: queueing, retries with backoff, giving up, bounds, with a scripted backend.
#include <bulwark/mail.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <deque>

namespace mail = bulwark::mail;
using namespace std::chrono_literals;
using mail::SendError;

namespace {

// ScriptedBackend answers from a script (then succeeds), records attempts and their times,
// and can block until released to hold a message in flight.
class ScriptedBackend final : public mail::Backend {
public:
    explicit ScriptedBackend(std::deque<SendError> script = {}) : script_(std::move(script)) {}

    bulwark::Result<void, SendError> send(const mail::Message& m) override {
        std::unique_lock lock(mutex_);
        released_cv_.wait(lock, [&] { return released_; });
        attempts_.push_back({m.subject, std::chrono::steady_clock::now()});
        if (!script_.empty()) {
            const auto e = script_.front();
            script_.pop_front();
            return e;
        }
        return {};
    }
    void hold() {
        std::lock_guard lock(mutex_);
        released_ = false;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
        }
        released_cv_.notify_all();
    }
    struct Attempt {
        std::string subject;
        std::chrono::steady_clock::time_point at;
    };
    std::vector<Attempt> attempts() {
        std::lock_guard lock(mutex_);
        return attempts_;
    }

private:
    std::mutex mutex_;
    std::condition_variable released_cv_;
    bool released_ = true;
    std::deque<SendError> script_;
    std::vector<Attempt> attempts_;
};

mail::Message msg(std::string subject) { return {"a@shop.example", "b@example.com", std::move(subject), "body"}; }

mail::OutboxOptions fast(int attempts = 4) {
    return {.queue_limit = 100, .max_attempts = attempts, .initial_backoff = 20ms, .max_backoff = 80ms,
            .backoff_multiplier = 2.0, .jitter = false};
}

}  // namespace

TEST(MailOutbox, SendsAndFlushes) {
    auto backend = std::make_shared<ScriptedBackend>();
    mail::Outbox outbox{backend, fast()};
    ASSERT_TRUE(outbox.send_async(msg("one")));
    ASSERT_TRUE(outbox.send_async(msg("two")));
    ASSERT_TRUE(outbox.flush(5s));
    EXPECT_EQ(backend->attempts().size(), 2u);
    EXPECT_EQ(outbox.stats().sent, 2u);
}

TEST(MailOutbox, RetriesTransientFailuresWithBackoffTable) {
    struct Case {
        const char* name;
        std::deque<SendError> script;
        int max_attempts;
        std::size_t attempts;
        std::uint64_t sent, failed, retried;
    };
    const Case cases[] = {
        {"ok_first_time", {}, 4, 1, 1, 0, 0},
        {"one_timeout_then_ok", {SendError::timeout}, 4, 2, 1, 0, 1},
        {"connect_tls_server_then_ok", {SendError::connect_failed, SendError::tls_failed, SendError::server_error}, 4, 4, 1, 0, 3},
        {"gives_up_after_max", {SendError::timeout, SendError::timeout, SendError::timeout, SendError::timeout}, 3, 3, 0, 1, 2},
        {"rejected_is_permanent", {SendError::rejected}, 4, 1, 0, 1, 0},
        {"auth_failed_is_permanent", {SendError::timeout, SendError::auth_failed}, 4, 2, 0, 1, 1},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto backend = std::make_shared<ScriptedBackend>(c.script);
        std::atomic<int> gave_up{0};
        auto options = fast(c.max_attempts);
        options.on_give_up = [&](const mail::Message&, SendError) { ++gave_up; };
        mail::Outbox outbox{backend, options};
        ASSERT_TRUE(outbox.send_async(msg("m")));
        ASSERT_TRUE(outbox.flush(5s));
        const auto attempts = backend->attempts();
        EXPECT_EQ(attempts.size(), c.attempts);
        const auto s = outbox.stats();
        EXPECT_EQ(s.sent, c.sent);
        EXPECT_EQ(s.failed, c.failed);
        EXPECT_EQ(s.retried, c.retried);
        EXPECT_EQ(gave_up.load(), static_cast<int>(c.failed));
        // Each retry waited at least its backoff (20, 40, 80 ms, capped at 80).
        for (std::size_t i = 1; i < attempts.size(); ++i)
            EXPECT_GE(attempts[i].at - attempts[i - 1].at, outbox.backoff_for_testing(static_cast<int>(i)));
    }
}

TEST(MailOutbox, BackoffIsExponentialAndCapped) {
    mail::Outbox outbox{std::make_shared<ScriptedBackend>(),
                        {.initial_backoff = 1000ms, .max_backoff = 10'000ms, .backoff_multiplier = 3.0}};
    EXPECT_EQ(outbox.backoff_for_testing(1), 1000ms);
    EXPECT_EQ(outbox.backoff_for_testing(2), 3000ms);
    EXPECT_EQ(outbox.backoff_for_testing(3), 9000ms);
    EXPECT_EQ(outbox.backoff_for_testing(4), 10'000ms);
    EXPECT_EQ(outbox.backoff_for_testing(200), 10'000ms);  // no overflow
}

TEST(MailOutbox, QueueLimitRefusesWithoutBlocking) {
    auto backend = std::make_shared<ScriptedBackend>();
    backend->hold();  // the worker takes the first message and waits inside send
    auto options = fast();
    options.queue_limit = 2;
    mail::Outbox outbox{backend, options};
    ASSERT_TRUE(outbox.send_async(msg("in-flight")));
    for (int i = 0; i < 200 && outbox.stats().sent == 0 && backend->attempts().empty(); ++i) {
        std::this_thread::sleep_for(1ms);  // let the worker pick it up
    }
    std::this_thread::sleep_for(20ms);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(outbox.send_async(msg("q1")));
    EXPECT_TRUE(outbox.send_async(msg("q2")));
    EXPECT_FALSE(outbox.send_async(msg("q3")));  // full
    EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
    EXPECT_FALSE(outbox.flush(30ms));  // still busy: flush times out rather than hanging
    backend->release();
    ASSERT_TRUE(outbox.flush(5s));
    EXPECT_EQ(outbox.stats().sent, 3u);
    EXPECT_EQ(outbox.stats().refused, 1u);
}

TEST(MailOutbox, InvalidMessagesAreRefusedAtOnce) {
    auto backend = std::make_shared<ScriptedBackend>();
    mail::Outbox outbox{backend, fast()};
    EXPECT_FALSE(outbox.send_async(msg("Hi\r\nBcc: all@evil.example")));
    ASSERT_TRUE(outbox.flush(1s));
    EXPECT_TRUE(backend->attempts().empty());
    EXPECT_EQ(outbox.stats().refused, 1u);
}

TEST(MailOutbox, DestructorDropsWhatIsStillWaiting) {
    auto backend = std::make_shared<ScriptedBackend>(std::deque<SendError>{SendError::timeout});
    {
        mail::Outbox outbox{backend, {.initial_backoff = 60'000ms, .jitter = false}};
        ASSERT_TRUE(outbox.send_async(msg("later")));
        for (int i = 0; i < 500 && backend->attempts().empty(); ++i) std::this_thread::sleep_for(1ms);
    }  // must not wait a minute for the retry
    EXPECT_EQ(backend->attempts().size(), 1u);
}

TEST(MailOutbox, SeveralThreads) {
    auto backend = std::make_shared<ScriptedBackend>();
    auto options = fast();
    options.threads = 3;
    mail::Outbox outbox{backend, options};
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(outbox.send_async(msg("m" + std::to_string(i))));
    ASSERT_TRUE(outbox.flush(5s));
    EXPECT_EQ(outbox.stats().sent, 50u);
}
