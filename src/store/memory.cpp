// memory.cpp: the in-process backend. Keys are spread over shards by hash; each shard is a
// mutex, a hash map and an LRU list threaded through the map's nodes. The global caps
// (bytes and entries) are split evenly over the shards, so the whole never exceeds them no
// matter how the keys hash: a flood of spoofed addresses evicts, it never grows the heap.
// Expiry is lazy (an expired entry is dropped when met) plus an amortized sweep of a shard
// once one of its entries is known to have expired; an insert over the cap evicts an expired
// entry near the LRU tail first, then the least recently used one.
#include "backends.hpp"
#include "rate_math.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <ctime>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace bulwark::store::detail {
namespace {

// Approximate cost of an entry beyond its key and value: the map node (hash, next, key and
// value headers, rate state, LRU links), the bucket slot and malloc's own header.
constexpr std::size_t kEntryOverhead = 192;
constexpr std::size_t kMaxShards = 64;
constexpr std::int64_t kSweepEveryMs = 1000;
constexpr int kEvictScan = 8;

// now_ms: a coarse monotonic clock (a few ms of resolution, a few ns to read), enough for TTLs.
std::int64_t now_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Entry;
using Node = std::pair<const std::string, Entry>;

struct Entry {
    std::string value;
    RateState rate;
    std::int64_t expires = 0;  // monotonic ms; 0 = never
    bool is_rate = false;
    Node* prev = nullptr;  // towards the most recently used
    Node* next = nullptr;  // towards the least recently used
};

std::size_t heap_bytes(const std::string& s) { return s.size() > 15 ? s.capacity() + 1 : 0; }
std::size_t cost_of(const Node& n) {
    return kEntryOverhead + heap_bytes(n.first) + heap_bytes(n.second.value);
}
std::int64_t expiry_for(Ttl ttl, std::int64_t now) {
    if (ttl.count() == 0) return 0;
    return now + std::max<std::int64_t>(1, ttl.count());
}

struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> map;
    Node* head = nullptr;
    Node* tail = nullptr;
    std::size_t bytes = 0;
    std::int64_t last_sweep = 0;
    std::int64_t next_expiry = INT64_MAX;  // no entry expires before this
    std::size_t inserts_since_sweep = 0;

    void unlink(Node& n) {
        Entry& e = n.second;
        (e.prev ? e.prev->second.next : head) = e.next;
        (e.next ? e.next->second.prev : tail) = e.prev;
        e.prev = e.next = nullptr;
    }
    void push_front(Node& n) {
        n.second.prev = nullptr;
        n.second.next = head;
        if (head) head->second.prev = &n;
        head = &n;
        if (!tail) tail = &n;
    }
    void touch(Node& n) {
        if (head == &n) return;
        unlink(n);
        push_front(n);
    }
    void erase(Node& n) {
        unlink(n);
        bytes -= cost_of(n);
        map.erase(map.find(n.first));  // by iterator: n.first lives inside the node
    }
    // find_live returns the live entry for key, dropping it when it has expired.
    Node* find_live(std::string_view key, std::int64_t now) {
        auto it = map.find(key);
        if (it == map.end()) return nullptr;
        Node& n = *it;
        if (n.second.expires != 0 && n.second.expires <= now) {
            erase(n);
            return nullptr;
        }
        touch(n);
        return &n;
    }
    // note_expiry keeps next_expiry a lower bound of every expiry in the shard.
    void note_expiry(std::int64_t expires) {
        if (expires != 0 && expires < next_expiry) next_expiry = expires;
    }
    // maybe_sweep drops every expired entry once something is known to have expired, at most
    // once per quarter-shard of inserts or per second, so its cost is amortized O(1).
    void maybe_sweep(std::int64_t now) {
        ++inserts_since_sweep;
        if (now < next_expiry) return;
        if (now - last_sweep < kSweepEveryMs && inserts_since_sweep < map.size() / 4) return;
        last_sweep = now;
        inserts_since_sweep = 0;
        next_expiry = INT64_MAX;
        for (Node* n = tail; n != nullptr;) {
            Node* prev = n->second.prev;
            const std::int64_t e = n->second.expires;
            if (e != 0 && e <= now) erase(*n);
            else note_expiry(e);
            n = prev;
        }
    }
    // make_room evicts until one more entry of `incoming` bytes fits under the caps: an
    // expired entry near the LRU tail if there is one, else the least recently used.
    void make_room(std::size_t incoming, std::size_t max_bytes, std::size_t max_entries, std::int64_t now) {
        maybe_sweep(now);
        while (tail && (bytes + incoming > max_bytes || map.size() + 1 > max_entries)) {
            Node* victim = tail;
            Node* n = tail;
            for (int i = 0; i < kEvictScan && n; ++i, n = n->second.prev) {
                if (n->second.expires != 0 && n->second.expires <= now) {
                    victim = n;
                    break;
                }
            }
            erase(*victim);
        }
    }
};

class MemoryStore final : public Store {
public:
    explicit MemoryStore(const MemoryOptions& o) {
        std::size_t shards = kMaxShards;
        while (shards > 1 && o.max_entries / shards < 64) shards /= 2;
        shards_ = std::vector<Shard>(shards);
        mask_ = shards - 1;
        max_bytes_ = std::max<std::size_t>(o.max_bytes / shards, kEntryOverhead * 2);
        max_entries_ = std::max<std::size_t>(o.max_entries / shards, 1);
    }

    Result<std::optional<std::string>, StoreError> get(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        Node* n = s.find_live(key, now_ms());
        if (!n) return std::optional<std::string>{};
        return std::optional<std::string>{value_of(n->second)};
    }

    Result<void, StoreError> set(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        const auto now = now_ms();
        put(s, key, now, [&](Entry& e) {
            e.value.assign(value);
            e.is_rate = false;
            e.expires = expiry_for(ttl, now);
        }, value.size());
        return {};
    }

    Result<bool, StoreError> set_if_absent(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        const auto now = now_ms();
        if (s.find_live(key, now)) return false;
        put(s, key, now, [&](Entry& e) {
            e.value.assign(value);
            e.expires = expiry_for(ttl, now);
        }, value.size());
        return true;
    }

    Result<std::optional<std::string>, StoreError> take(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        Node* n = s.find_live(key, now_ms());
        if (!n) return std::optional<std::string>{};
        std::optional<std::string> out{value_of(n->second)};
        s.erase(*n);
        return out;
    }

    Result<bool, StoreError> erase(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        Node* n = s.find_live(key, now_ms());
        if (!n) return false;
        s.erase(*n);
        return true;
    }

    Result<std::int64_t, StoreError> increment(std::string_view key, std::int64_t by, Ttl ttl_if_new) override {
        if (!key_ok(key)) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        const auto now = now_ms();
        std::int64_t current = 0;
        if (Node* n = s.find_live(key, now)) {
            if (n->second.is_rate || !parse_int(n->second.value, current)) return StoreError::internal;
            if ((by > 0 && current > INT64_MAX - by) || (by < 0 && current < INT64_MIN - by))
                return StoreError::internal;
            current += by;
            s.bytes -= cost_of(*n);
            n->second.value = std::to_string(current);
            s.bytes += cost_of(*n);
            return current;
        }
        current = by;
        put(s, key, now, [&](Entry& e) {
            e.value = std::to_string(current);
            e.expires = expiry_for(ttl_if_new, now);
        });
        return current;
    }

    Result<std::optional<Ttl>, StoreError> ttl(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        Shard& s = shard(key);
        std::lock_guard lock(s.mu);
        const auto now = now_ms();
        Node* n = s.find_live(key, now);
        if (!n || n->second.expires == 0) return std::optional<Ttl>{};
        return std::optional<Ttl>{Ttl{n->second.expires - now}};
    }

    Result<void, StoreError> rate_hit(std::span<const RateRequest> reqs, std::span<RateOutcome> out) override {
        if (reqs.size() != out.size() || reqs.empty() || reqs.size() > 64) return StoreError::internal;
        for (const auto& r : reqs) {
            if (!key_ok(r.key)) return StoreError::too_large;
            if (!valid(r)) return StoreError::internal;
        }
        if (reqs.size() == 1) return hit_one(reqs[0], out[0]);
        // Several limits: lock every shard involved, in index order, so the batch is atomic.
        std::array<std::size_t, 64> idx{};
        for (std::size_t i = 0; i < reqs.size(); ++i) idx[i] = shard_index(reqs[i].key);
        std::sort(idx.begin(), idx.begin() + reqs.size());
        auto last = std::unique(idx.begin(), idx.begin() + reqs.size());
        for (auto it = idx.begin(); it != last; ++it) shards_[*it].mu.lock();
        const auto now = now_ms();
        std::array<RateStep, 64> steps;
        bool all = true;
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            Node* n = live_rate(shard(reqs[i].key), reqs[i].key, now);
            steps[i] = rate_step(n ? &n->second.rate : nullptr, reqs[i]);
            all = all && steps[i].outcome.allowed;
        }
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            out[i] = steps[i].outcome;
            if (all || (!steps[i].outcome.allowed && steps[i].outcome.first_rejection))
                write_rate(shard(reqs[i].key), reqs[i].key, now, all ? steps[i].if_counted : steps[i].if_rejected,
                           steps[i].keep_ms);
        }
        for (auto it = idx.begin(); it != last; ++it) shards_[*it].mu.unlock();
        return {};
    }

    std::optional<Usage> usage() const override {
        Usage u;
        for (auto& s : shards_) {
            std::lock_guard lock(s.mu);
            u.entries += s.map.size();
            u.bytes += s.bytes;
        }
        return u;
    }

    std::string_view backend() const noexcept override { return "memory"; }

private:
    std::size_t shard_index(std::string_view key) const noexcept {
        const std::size_t h = StringHash{}(key);
        return (h ^ (h >> 29)) & mask_;
    }
    Shard& shard(std::string_view key) noexcept { return shards_[shard_index(key)]; }

    static bool parse_int(const std::string& text, std::int64_t& out) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        return ec == std::errc{} && end == text.data() + text.size();
    }
    static std::string value_of(const Entry& e) { return e.is_rate ? encode_state(e.rate) : e.value; }

    // put creates or overwrites key, keeping the shard under its caps, then lets `fill` set it.
    template <class Fill>
    Node& put(Shard& s, std::string_view key, std::int64_t now, Fill fill, std::size_t value_size = 0) {
        auto it = s.map.find(key);
        if (it == s.map.end()) {
            s.make_room(kEntryOverhead + key.size() + value_size + 32, max_bytes_, max_entries_, now);
            it = s.map.try_emplace(std::string(key)).first;
            s.push_front(*it);
        } else {
            s.touch(*it);
            s.bytes -= cost_of(*it);
        }
        fill(it->second);
        s.note_expiry(it->second.expires);
        s.bytes += cost_of(*it);
        return *it;
    }

    Node* live_rate(Shard& s, std::string_view key, std::int64_t now) {
        Node* n = s.find_live(key, now);
        return n && n->second.is_rate ? n : nullptr;
    }
    void write_rate(Shard& s, std::string_view key, std::int64_t now, const RateState& st, std::int64_t keep) {
        put(s, key, now, [&](Entry& e) {
            if (!e.is_rate) e.value.clear();
            e.is_rate = true;
            e.rate = st;
            e.expires = now + std::max<std::int64_t>(1, keep);
        });
    }

    Result<void, StoreError> hit_one(const RateRequest& r, RateOutcome& out) {
        Shard& s = shard(r.key);
        std::lock_guard lock(s.mu);
        const auto now = now_ms();
        Node* n = live_rate(s, r.key, now);
        RateStep step = rate_step(n ? &n->second.rate : nullptr, r);
        out = step.outcome;
        if (step.outcome.allowed || step.outcome.first_rejection) {
            const RateState& st = step.outcome.allowed ? step.if_counted : step.if_rejected;
            if (n) {  // fast path: update in place, no allocation
                n->second.rate = st;
                n->second.expires = now + std::max<std::int64_t>(1, step.keep_ms);
                s.note_expiry(n->second.expires);
            } else {
                write_rate(s, r.key, now, st, step.keep_ms);
            }
        }
        return {};
    }

    mutable std::vector<Shard> shards_;
    std::size_t mask_ = 0;
    std::size_t max_bytes_ = 0;
    std::size_t max_entries_ = 0;
};

}  // namespace

std::shared_ptr<Store> make_memory_store(const MemoryOptions& options) {
    return std::make_shared<MemoryStore>(options);
}

}  // namespace bulwark::store::detail
