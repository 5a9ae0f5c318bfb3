// fake_store.hpp: a tiny in-process Store for unit tests (no expiry clock games: TTLs are
// recorded, entries live until erased), plus a switch that makes every call fail so the
// fail-closed paths can be tested.
#pragma once

#include <bulwark/store.hpp>

#include <map>
#include <mutex>

namespace bulwark::testing {

class FakeStore : public store::Store {
public:
    bool fail = false;
    std::map<std::string, std::pair<std::string, store::Ttl>, std::less<>> data;

    Result<std::optional<std::string>, store::StoreError> get(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        auto it = data.find(key);
        if (it == data.end()) return std::optional<std::string>{};
        return std::optional<std::string>{it->second.first};
    }
    Result<void, store::StoreError> set(std::string_view key, std::string_view value, store::Ttl ttl) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        data[std::string(key)] = {std::string(value), ttl};
        return {};
    }
    Result<bool, store::StoreError> set_if_absent(std::string_view key, std::string_view value,
                                                  store::Ttl ttl) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        return data.emplace(std::string(key), std::pair{std::string(value), ttl}).second;
    }
    Result<std::optional<std::string>, store::StoreError> take(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        auto it = data.find(key);
        if (it == data.end()) return std::optional<std::string>{};
        std::string v = it->second.first;
        data.erase(it);
        return std::optional<std::string>{v};
    }
    Result<bool, store::StoreError> erase(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        auto it = data.find(key);
        if (it == data.end()) return false;
        data.erase(it);
        return true;
    }
    Result<std::int64_t, store::StoreError> increment(std::string_view key, std::int64_t by,
                                                      store::Ttl ttl) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        auto& entry = data[std::string(key)];
        std::int64_t v = (entry.first.empty() ? 0 : std::stoll(entry.first)) + by;
        if (entry.first.empty()) entry.second = ttl;
        entry.first = std::to_string(v);
        return v;
    }
    Result<std::optional<store::Ttl>, store::StoreError> ttl(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (fail) return store::StoreError::unavailable;
        auto it = data.find(key);
        if (it == data.end()) return std::optional<store::Ttl>{};
        return std::optional<store::Ttl>{it->second.second};
    }
    Result<void, store::StoreError> rate_hit(std::span<const store::RateRequest>,
                                             std::span<store::RateOutcome>) override {
        return store::StoreError::internal;  // not used by these components
    }
    std::string_view backend() const noexcept override { return "fake"; }

private:
    std::mutex mutex_;
};

}  // namespace bulwark::testing
