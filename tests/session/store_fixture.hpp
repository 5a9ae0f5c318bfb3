// store_fixture.hpp: runs a test suite against each store backend (memory and SQLite in the
// unit executable, Redis in the integration one), with a clock the test moves by hand.
// Shared by tests/session and tests/auth.
#pragma once

#include "support/test_env.hpp"

#include <bulwark/crypto.hpp>
#include <bulwark/store.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace bulwark::testing_stores {

// FakeClock: starts at a fixed instant; tests advance it.
struct FakeClock {
    std::chrono::system_clock::time_point now{std::chrono::seconds{1'700'000'000}};
    void advance(std::chrono::seconds s) { now += s; }
    auto fn() {
        return [this] { return now; };
    }
};

inline crypto::KeyRing test_keys(std::string_view secret = "0123456789abcdef0123456789abcdef") {
    return crypto::KeyRing(crypto::SecretBytes(secret));
}

// backends: the store kinds this executable runs the suites on; defined once per executable
// (stores_unit.cpp: memory and SQLite; redis/stores_redis.cpp: Redis).
std::vector<std::string> backends();

// StoreTest: GetParam() is "memory", "sqlite" or "redis".
class StoreTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        const std::string kind = GetParam();
        std::string url;
        if (kind == "memory") {
            url = "memory://";
        } else if (kind == "sqlite") {
            sqlite_path_ = "/tmp/bulwark_sessauth_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++) + ".db";
            url = "sqlite://" + sqlite_path_;
        } else {
            BULWARK_SERVICE_URL_OR_SKIP(redis, "BULWARK_TEST_REDIS_URL");
            // A prefix of our own per test, so parallel runs and other components never clash.
            url = redis + (redis.find('?') == std::string::npos ? "?" : "&") +
                  "prefix=bwsa:" + crypto::random_token(6) + ":";
        }
        auto opened = store::open(url);
        ASSERT_TRUE(opened) << "cannot open the " << kind << " store";
        store_ = *opened;
    }
    void TearDown() override {
        store_.reset();
        if (!sqlite_path_.empty()) {
            for (const char* suffix : {"", "-wal", "-shm"}) std::remove((sqlite_path_ + suffix).c_str());
        }
    }

    std::shared_ptr<store::Store> store_;
    FakeClock clock_;
    std::string sqlite_path_;
};

// CountingStore: passes every call through and counts the writes, to check that a
// read-only request costs no write.
class CountingStore : public store::Store {
public:
    explicit CountingStore(std::shared_ptr<store::Store> inner) : inner_(std::move(inner)) {}
    int writes = 0;
    int reads = 0;
    Result<std::optional<std::string>, store::StoreError> get(std::string_view k) override { ++reads; return inner_->get(k); }
    Result<void, store::StoreError> set(std::string_view k, std::string_view v, store::Ttl t) override { ++writes; return inner_->set(k, v, t); }
    Result<bool, store::StoreError> set_if_absent(std::string_view k, std::string_view v, store::Ttl t) override { ++writes; return inner_->set_if_absent(k, v, t); }
    Result<std::optional<std::string>, store::StoreError> take(std::string_view k) override { ++writes; return inner_->take(k); }
    Result<bool, store::StoreError> erase(std::string_view k) override { ++writes; return inner_->erase(k); }
    Result<std::int64_t, store::StoreError> increment(std::string_view k, std::int64_t b, store::Ttl t) override { ++writes; return inner_->increment(k, b, t); }
    Result<std::optional<store::Ttl>, store::StoreError> ttl(std::string_view k) override { ++reads; return inner_->ttl(k); }
    Result<void, store::StoreError> rate_hit(std::span<const store::RateRequest> r, std::span<store::RateOutcome> o) override { ++writes; return inner_->rate_hit(r, o); }
    std::string_view backend() const noexcept override { return inner_->backend(); }

private:
    std::shared_ptr<store::Store> inner_;
};

// DownStore: a backend that never answers.
class DownStore : public store::Store {
public:
    using E = store::StoreError;
    Result<std::optional<std::string>, E> get(std::string_view) override { return E::unavailable; }
    Result<void, E> set(std::string_view, std::string_view, store::Ttl) override { return E::unavailable; }
    Result<bool, E> set_if_absent(std::string_view, std::string_view, store::Ttl) override { return E::unavailable; }
    Result<std::optional<std::string>, E> take(std::string_view) override { return E::unavailable; }
    Result<bool, E> erase(std::string_view) override { return E::unavailable; }
    Result<std::int64_t, E> increment(std::string_view, std::int64_t, store::Ttl) override { return E::unavailable; }
    Result<std::optional<store::Ttl>, E> ttl(std::string_view) override { return E::unavailable; }
    Result<void, E> rate_hit(std::span<const store::RateRequest>, std::span<store::RateOutcome>) override { return E::unavailable; }
    std::string_view backend() const noexcept override { return "down"; }
};

}  // namespace bulwark::testing_stores

// BULWARK_STORE_SUITE(Fixture): instantiates a StoreTest-derived fixture on backends().
#define BULWARK_STORE_SUITE(Fixture)                                                         \
    INSTANTIATE_TEST_SUITE_P(Stores, Fixture,                                                \
                             ::testing::ValuesIn(::bulwark::testing_stores::backends()),     \
                             [](const auto& info) { return info.param; })
