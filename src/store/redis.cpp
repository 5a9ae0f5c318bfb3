// redis.cpp: the Redis backend over hiredis. A small pool of blocking connections, each
// with connect, read and write timeouts, so no call waits longer than about twice the
// configured timeout. A connection that fails is dropped together with every idle one (they
// point at the same, now gone, server), and after a refused connect the store answers
// `unavailable` at once for a short back-off instead of hammering a dead server. When the
// server comes back the next call after the back-off reconnects: nothing is recreated.
#include "backends.hpp"
#include "redis_scripts.hpp"
#include "rate_math.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace bulwark::store::detail {
namespace {

constexpr std::int64_t kBackoffMs = 100;

std::int64_t steady_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

struct ReplyDeleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

bool is_error(const redisReply* r, std::string_view prefix) {
    return r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with(prefix);
}

class RedisStore;

// Lease: a pooled connection, returned on destruction (dropped when it failed).
class Lease {
public:
    Lease(RedisStore* store, redisContext* ctx) : store_(store), ctx_(ctx) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    redisContext* get() const { return ctx_; }
    explicit operator bool() const { return ctx_ != nullptr; }
    void mark_broken() { broken_ = true; }

private:
    RedisStore* store_;
    redisContext* ctx_;
    bool broken_ = false;
};

class RedisStore final : public Store {
public:
    explicit RedisStore(RedisOptions o) : o_(std::move(o)) {}
    ~RedisStore() override {
        for (auto* c : idle_) redisFree(c);
    }

    Result<std::optional<std::string>, StoreError> get(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::string k = prefixed(key);
        auto r = command({"GET", k});
        if (!r) return r.error();
        return string_or_nil(**r);
    }

    Result<void, StoreError> set(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        std::string k = prefixed(key), ms = std::to_string(clamp_ttl(ttl));
        auto r = ttl.count() == 0 ? command({"SET", k, value}) : command({"SET", k, value, "PX", ms});
        if (!r) return r.error();
        if ((*r)->type != REDIS_REPLY_STATUS) return StoreError::internal;
        return {};
    }

    Result<bool, StoreError> set_if_absent(std::string_view key, std::string_view value, Ttl ttl) override {
        if (!key_ok(key) || value.size() > kMaxValueBytes) return StoreError::too_large;
        std::string k = prefixed(key), ms = std::to_string(clamp_ttl(ttl));
        auto r = ttl.count() == 0 ? command({"SET", k, value, "NX"}) : command({"SET", k, value, "NX", "PX", ms});
        if (!r) return r.error();
        if ((*r)->type == REDIS_REPLY_NIL) return false;
        if ((*r)->type == REDIS_REPLY_STATUS) return true;
        return StoreError::internal;
    }

    Result<std::optional<std::string>, StoreError> take(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::string k = prefixed(key);
        auto r = command({"GETDEL", k});  // Redis >= 6.2
        if (!r) return r.error();
        return string_or_nil(**r);
    }

    Result<bool, StoreError> erase(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::string k = prefixed(key);
        auto r = command({"DEL", k});
        if (!r) return r.error();
        if ((*r)->type != REDIS_REPLY_INTEGER) return StoreError::internal;
        return (*r)->integer > 0;
    }

    Result<std::int64_t, StoreError> increment(std::string_view key, std::int64_t by, Ttl ttl_if_new) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::string k = prefixed(key), b = std::to_string(by),
                    ms = std::to_string(ttl_if_new.count() == 0 ? 0 : clamp_ttl(ttl_if_new));
        auto r = script(increment_sha_, kIncrementScript, {k}, {b, ms});
        if (!r) return r.error();
        if ((*r)->type != REDIS_REPLY_INTEGER) return StoreError::internal;
        return static_cast<std::int64_t>((*r)->integer);
    }

    Result<std::optional<Ttl>, StoreError> ttl(std::string_view key) override {
        if (!key_ok(key)) return StoreError::too_large;
        std::string k = prefixed(key);
        auto r = command({"PTTL", k});
        if (!r) return r.error();
        if ((*r)->type != REDIS_REPLY_INTEGER) return StoreError::internal;
        if ((*r)->integer < 0) return std::optional<Ttl>{};
        return std::optional<Ttl>{Ttl{(*r)->integer}};
    }

    Result<void, StoreError> rate_hit(std::span<const RateRequest> reqs, std::span<RateOutcome> out) override {
        if (reqs.size() != out.size() || reqs.empty() || reqs.size() > 64) return StoreError::internal;
        std::vector<std::string> keys, args;
        keys.reserve(reqs.size());
        args.reserve(reqs.size() * 5);
        for (const auto& q : reqs) {
            if (!key_ok(q.key)) return StoreError::too_large;
            if (!valid(q)) return StoreError::internal;
            keys.push_back(prefixed(q.key));
            args.push_back(std::to_string(static_cast<int>(q.algorithm)));
            args.push_back(std::to_string(q.limit));
            args.push_back(std::to_string(q.period.count()));
            args.push_back(std::to_string(q.cost));
            args.push_back(std::to_string(q.now_ms));
        }
        auto r = script(rate_sha_, kRateScript, keys, args);
        if (!r) return r.error();
        const redisReply& a = **r;
        if (a.type != REDIS_REPLY_ARRAY || a.elements != reqs.size() * 5) return StoreError::internal;
        for (std::size_t i = 0; i < reqs.size(); ++i) {
            long long v[5];
            for (std::size_t j = 0; j < 5; ++j) {
                const redisReply* e = a.element[i * 5 + j];
                if (e->type != REDIS_REPLY_INTEGER) return StoreError::internal;
                v[j] = e->integer;
            }
            out[i] = RateOutcome{v[0] == 1, v[1], Ttl{v[2]}, Ttl{v[3]}, v[4] == 1};
        }
        return {};
    }

    std::string_view backend() const noexcept override { return "redis"; }

    // Pool plumbing, used by Lease.
    void release(redisContext* ctx, bool broken) {
        std::vector<redisContext*> dropped;
        {
            std::lock_guard lock(mu_);
            if (broken || ctx->err) {
                dropped.push_back(ctx);
                dropped.insert(dropped.end(), idle_.begin(), idle_.end());  // same dead server
                open_ -= static_cast<int>(dropped.size());
                idle_.clear();
            } else {
                idle_.push_back(ctx);
            }
        }
        cv_.notify_one();
        for (auto* c : dropped) redisFree(c);
    }

private:
    std::string prefixed(std::string_view key) const {
        std::string k;
        k.reserve(o_.prefix.size() + key.size());
        k.append(o_.prefix).append(key);
        return k;
    }
    static long long clamp_ttl(Ttl ttl) { return std::max<long long>(1, ttl.count()); }

    static Result<std::optional<std::string>, StoreError> string_or_nil(const redisReply& r) {
        if (r.type == REDIS_REPLY_NIL) return std::optional<std::string>{};
        if (r.type == REDIS_REPLY_STRING) return std::optional<std::string>{std::string(r.str, r.len)};
        return StoreError::internal;
    }

    // acquire leases a connection within the timeout, connecting a new one when the pool has room.
    Lease acquire() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(o_.timeout_ms);
        std::unique_lock lock(mu_);
        for (;;) {
            if (steady_ms() < down_until_) return Lease(this, nullptr);
            if (!idle_.empty()) {
                redisContext* c = idle_.back();
                idle_.pop_back();
                return Lease(this, c);
            }
            if (open_ < o_.pool) break;
            if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty())
                return Lease(this, nullptr);
        }
        ++open_;
        lock.unlock();
        redisContext* c = connect();
        if (!c) {
            lock.lock();
            --open_;
            down_until_ = steady_ms() + kBackoffMs;
            lock.unlock();
            cv_.notify_one();
        }
        return Lease(this, c);
    }

    redisContext* connect() {
        timeval tv{o_.timeout_ms / 1000, (o_.timeout_ms % 1000) * 1000};
        redisContext* c = redisConnectWithTimeout(o_.host.c_str(), o_.port, tv);
        if (!c) return nullptr;
        if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
            redisFree(c);
            return nullptr;
        }
        bool ok = true;
        if (!o_.password.empty()) {
            Reply r = o_.username.empty()
                          ? raw(c, {"AUTH", o_.password})
                          : raw(c, {"AUTH", o_.username, o_.password});
            ok = r && r->type == REDIS_REPLY_STATUS;
        }
        if (ok && o_.db != 0) {
            Reply r = raw(c, {"SELECT", std::to_string(o_.db)});
            ok = r && r->type == REDIS_REPLY_STATUS;
        }
        if (!ok) {
            redisFree(c);
            return nullptr;
        }
        return c;
    }

    static Reply raw(redisContext* c, const std::vector<std::string_view>& args) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (auto a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        return Reply(static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
    }

    // run sends one command on a leased connection; a transport failure drops the connection.
    Result<Reply, StoreError> run(const std::vector<std::string_view>& args) {
        Lease lease = acquire();
        if (!lease) return StoreError::unavailable;
        Reply r = raw(lease.get(), args);
        if (!r) {
            lease.mark_broken();
            return StoreError::unavailable;
        }
        if (is_error(r.get(), "LOADING") || is_error(r.get(), "BUSY") || is_error(r.get(), "MASTERDOWN"))
            return StoreError::unavailable;
        return r;
    }

    Result<Reply, StoreError> command(std::initializer_list<std::string_view> args) {
        auto r = run(std::vector<std::string_view>(args));
        if (r && (*r)->type == REDIS_REPLY_ERROR) return StoreError::internal;
        return r;
    }

    // script runs Lua by its SHA1 and falls back to EVAL (which also caches it) on NOSCRIPT.
    Result<Reply, StoreError> script(std::string& sha_slot, const char* body, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
        std::string sha;
        {
            std::lock_guard lock(mu_);
            sha = sha_slot;
        }
        std::string nkeys = std::to_string(keys.size());
        std::vector<std::string_view> argv;
        argv.reserve(3 + keys.size() + args.size());
        argv.push_back(sha.empty() ? "EVAL" : "EVALSHA");
        argv.push_back(sha.empty() ? std::string_view(body) : std::string_view(sha));
        argv.push_back(nkeys);
        for (auto& k : keys) argv.push_back(k);
        for (auto& a : args) argv.push_back(a);
        auto r = run(argv);
        if (!r) return r;
        if (!sha.empty() && is_error(r->get(), "NOSCRIPT")) {
            argv[0] = "EVAL";
            argv[1] = body;
            r = run(argv);
            if (!r) return r;
        }
        if ((*r)->type == REDIS_REPLY_ERROR) return StoreError::internal;
        if (sha.empty()) load_sha(sha_slot, body);
        return r;
    }

    // load_sha learns the script's SHA1 from the server once, so later calls send 40 bytes.
    void load_sha(std::string& sha_slot, const char* body) {
        auto r = run({"SCRIPT", "LOAD", body});
        if (r && (*r)->type == REDIS_REPLY_STRING) {
            std::lock_guard lock(mu_);
            sha_slot.assign((*r)->str, (*r)->len);
        }
    }

    RedisOptions o_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<redisContext*> idle_;
    int open_ = 0;
    std::int64_t down_until_ = 0;
    std::string increment_sha_, rate_sha_;
};

Lease::~Lease() {
    if (ctx_) store_->release(ctx_, broken_);
}

}  // namespace

std::shared_ptr<Store> make_redis_store(const RedisOptions& options) {
    return std::make_shared<RedisStore>(options);
}

}  // namespace bulwark::store::detail
