#include <bulwark/password.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>

namespace bulwark::password {
namespace {

void wait_until(const std::function<bool()>& done) {
    while (!done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(HashPool, RunsHashAndVerifyOnItsThreads) {
    HashPool pool{2, 4};
    auto stored = pool.hash("a pool-made passphrase");
    ASSERT_TRUE(stored) << error_name(stored.error());
    auto ok = pool.verify("a pool-made passphrase", *stored);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->scheme, Scheme::argon2id);
    auto bad = pool.verify("another passphrase", *stored);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), Error::mismatch);
    EXPECT_TRUE(pool.verify_dummy("anything"));
    auto rehashed = pool.verify_and_rehash("a pool-made passphrase", *stored);
    ASSERT_TRUE(rehashed);
    EXPECT_FALSE(rehashed->new_hash);
    EXPECT_EQ(pool.pending(), 0u);

    std::thread::id worker;
    ASSERT_TRUE(pool.run([&] { worker = std::this_thread::get_id(); }));
    EXPECT_NE(worker, std::this_thread::get_id());
}

TEST(HashPool, FullQueueAnswersBusyImmediately) {
    // One worker, one waiting slot. Job A occupies the worker until released; job B fills
    // the queue; a third caller must get `busy` at once instead of waiting.
    HashPool pool{1, 1};
    std::latch release{1};
    std::atomic<bool> a_started{false};
    std::thread a([&] { (void)pool.run([&] { a_started = true; release.wait(); }); });
    wait_until([&] { return a_started.load(); });
    std::atomic<bool> b_ran{false};
    std::thread b([&] { (void)pool.run([&] { b_ran = true; }); });
    wait_until([&] { return pool.pending() == 2; });

    const auto start = std::chrono::steady_clock::now();
    auto third = pool.hash("would have to wait");
    auto fourth = pool.verify("would have to wait", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
    auto fifth = pool.verify_dummy("x");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error(), Error::busy);
    ASSERT_FALSE(fourth);
    EXPECT_EQ(fourth.error(), Error::busy);
    ASSERT_FALSE(fifth);
    EXPECT_EQ(fifth.error(), Error::busy);
    EXPECT_FALSE(b_ran.load());

    release.count_down();
    a.join();
    b.join();
    EXPECT_TRUE(b_ran.load());
    EXPECT_EQ(pool.pending(), 0u);
    EXPECT_TRUE(pool.run([] {})) << "the pool accepts work again once the queue drains";
}

TEST(HashPool, ZeroQueueMeansOnlyIdleWorkersTakeWork) {
    HashPool pool{1, 0};
    EXPECT_TRUE(pool.run([] {})) << "an idle worker takes the job";
    std::latch release{1};
    std::atomic<bool> started{false};
    std::thread a([&] { (void)pool.run([&] { started = true; release.wait(); }); });
    wait_until([&] { return started.load(); });
    auto r = pool.run([] {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Error::busy);
    release.count_down();
    a.join();
}

TEST(HashPool, RefusesZeroThreads) {
    EXPECT_THROW((HashPool{0, 4}), std::invalid_argument);
}

}  // namespace
}  // namespace bulwark::password
