// public_random_id: request ids and CSP nonces from a per-thread batch of CSPRNG bytes.
#include <bulwark/crypto.hpp>

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace bulwark::crypto {
namespace {

// fork_generation changes in every forked child, so a batch drawn before a fork is never used
// after it: parent and child would otherwise hand out the same ids.
std::atomic<std::uint64_t> fork_generation{0};

void count_fork() noexcept { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// IdBatch: 64 ids' worth of random bytes. An id is public the moment it is sent, so only the
// ones not yet handed out have to stay unknown; each one's bytes are wiped as it goes.
class IdBatch {
public:
    static constexpr std::size_t kIdBytes = 16;
    static constexpr std::size_t kBatch = 64;

    ~IdBatch() { wipe(bytes_.data(), bytes_.size()); }

    std::string next() {
        const auto generation = fork_generation.load(std::memory_order_relaxed);
        if (used_ == kBatch || generation != generation_) refill(generation);
        auto* p = bytes_.data() + used_ * kIdBytes;
        std::string out = base64url_encode(ByteView(p, kIdBytes));
        wipe(p, kIdBytes);
        ++used_;
        return out;
    }

private:
    void refill(std::uint64_t generation) {
        static std::once_flag registered;
        std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, count_fork); });
        auto fresh = random_bytes(bytes_.size());
        std::copy(fresh.begin(), fresh.end(), bytes_.begin());
        wipe(fresh.data(), fresh.size());
        used_ = 0;
        generation_ = generation;
    }

    std::array<std::uint8_t, kIdBytes * kBatch> bytes_{};
    std::size_t used_ = kBatch;
    std::uint64_t generation_ = 0;
};

}  // namespace

std::string public_random_id() {
    thread_local IdBatch batch;
    return batch.next();
}

}  // namespace bulwark::crypto
