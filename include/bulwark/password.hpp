// bulwark/password.hpp: password hashing, verification of legacy hashes, strength policy,
// and a bounded pool that keeps a login flood from starving the server.
//
// Security model: new hashes are argon2id (libsodium, PHC string, OWASP's m = 19 MiB, t = 2,
// p = 1 or stronger). verify also accepts what a migrating Flask app has stored: argon2id and
// argon2i PHC strings, Werkzeug's `pbkdf2:<hash>:<iterations>$salt$hex` and
// `scrypt:<n>:<r>:<p>$salt$hex`, and bcrypt `$2a$`/`$2b$`/`$2y$` (libxcrypt), so users move
// over with their passwords and are rehashed on their next login (`verify_and_rehash`).
// A stored hash is untrusted input: it is parsed strictly, and costs that would turn one
// login into a denial of service are refused (`Limits`). Every comparison is constant-time.
// Nothing here throws on bad input, and no error carries the password or the hash.
// Passwords are bounded (kMaxPasswordBytes) before any hashing and must be valid UTF-8
// without NUL; bcrypt is never fed more than its 72 bytes silently.
//
//     auto stored = bulwark::password::hash(form.password);        // Result<std::string, Error>
//     auto ok = bulwark::password::verify(form.password, *stored);  // Result<Verified, Error>
//     if (!user) bulwark::password::verify_dummy(form.password);   // same cost as a wrong password
//     auto problems = bulwark::password::check_policy(pw, {.username = name, .email = email});
#pragma once

#include <bulwark/result.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace bulwark::password {

// kMaxPasswordBytes: input above this is refused before any hashing (1024 code points of at
// most 4 bytes each).
inline constexpr std::size_t kMaxPasswordBytes = 4096;
// kMaxStoredHash: a stored hash longer than this is malformed, whatever its scheme.
inline constexpr std::size_t kMaxStoredHash = 1024;
// kBcryptMaxPasswordBytes: bcrypt reads at most this many bytes of a password.
inline constexpr std::size_t kBcryptMaxPasswordBytes = 72;

// Error: why hashing or verification did not succeed. `error_name` gives a stable,
// log-safe name.
enum class Error {
    mismatch,                  // well-formed hash, wrong password
    malformed_hash,            // the stored string is damaged or of no known shape
    unsupported_scheme,        // known shape, refused algorithm (argon2d, plain or unsalted
                               // Werkzeug hashes, md5, old argon2 versions)
    cost_too_high,             // the stored hash asks for more work than Limits allow
    password_too_long,         // more than kMaxPasswordBytes
    invalid_password,          // not valid UTF-8, or contains NUL
    bcrypt_password_too_long,  // bcrypt hash, password over 72 bytes: refused, never truncated
    busy,                      // HashPool queue full: answer 503 with Retry-After
    internal,                  // the crypto library failed (out of memory)
};
std::string_view error_name(Error e) noexcept;

// Scheme: the algorithm family of a stored hash.
enum class Scheme { argon2id, argon2i, pbkdf2, scrypt, bcrypt };
std::string_view scheme_name(Scheme s) noexcept;

// Params: the cost of new argon2id hashes (parallelism is libsodium's fixed 1).
// Defaults are OWASP's Password Storage Cheat Sheet minimum for argon2id.
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
struct Params {
    std::uint32_t memory_kib = 19 * 1024;
    std::uint32_t iterations = 2;
};

// Limits: the most work a stored hash may demand before verify refuses it (cost_too_high).
struct Limits {
    std::uint32_t argon2_max_memory_kib = 1024 * 1024;      // 1 GiB
    std::uint32_t argon2_max_iterations = 64;
    std::uint64_t argon2_max_work_kib = 4ull * 1024 * 1024;  // memory * iterations
    std::uint32_t argon2_max_parallelism = 16;
    std::uint32_t pbkdf2_max_iterations = 10'000'000;
    std::uint64_t scrypt_max_memory_bytes = 1ull << 30;      // 128 * n * r * p-independent
    std::uint32_t scrypt_max_p = 16;
    std::uint32_t bcrypt_max_cost = 16;
};

// Verified: a successful verification. needs_rehash says the hash should be replaced by a
// current one (call hash() with the password you just verified and store it).
struct Verified {
    Scheme scheme;
    bool needs_rehash;
};

// Rehashed: the outcome of verify_and_rehash; new_hash is set when the stored hash was out of
// date and a current one was made.
struct Rehashed {
    Scheme scheme;
    std::optional<std::string> new_hash;
};

// Hasher hashes with fixed parameters and holds a precomputed dummy hash, so that
// verify_dummy costs what verifying a real hash does. Thread-safe (immutable after
// construction). The constructor throws std::invalid_argument for parameters weaker than
// OWASP's (memory >= 7 MiB and memory * iterations >= 19 MiB * 2) or beyond `limits`.
class Hasher {
public:
    explicit Hasher(Params params = {}, Limits limits = {});

    // hash returns a PHC argon2id string with a fresh random salt.
    // Errors: password_too_long, invalid_password, internal.
    Result<std::string, Error> hash(std::string_view password) const;
    // verify checks a password against any supported stored hash.
    Result<Verified, Error> verify(std::string_view password, std::string_view stored) const;
    // verify_and_rehash verifies and, when the stored hash is out of date, hashes anew.
    Result<Rehashed, Error> verify_and_rehash(std::string_view password,
                                              std::string_view stored) const;
    // needs_rehash: true for anything but argon2id with exactly this Hasher's parameters
    // (including malformed or unknown strings).
    bool needs_rehash(std::string_view stored) const;
    // verify_dummy burns the time of one verification; call it when the user does not exist.
    void verify_dummy(std::string_view password) const;

    const Params& params() const noexcept { return params_; }
    const Limits& limits() const noexcept { return limits_; }

private:
    Params params_;
    Limits limits_;
    std::string dummy_;
};

// The free functions use a process-wide Hasher with default Params and Limits.
Result<std::string, Error> hash(std::string_view password);
Result<Verified, Error> verify(std::string_view password, std::string_view stored);
Result<Rehashed, Error> verify_and_rehash(std::string_view password, std::string_view stored);
bool needs_rehash(std::string_view stored);
void verify_dummy(std::string_view password);

// HashPool runs hashing on its own `threads` with at most `queue_limit` jobs waiting beyond
// those running (queue_limit 0: only an idle worker takes a job), so a flood of logins cannot
// take every worker. Calls block until their job is done, or return
// Error::busy at once when the queue is full. Thread-safe. The destructor finishes queued
// jobs, then joins.
class HashPool {
public:
    HashPool(std::size_t threads, std::size_t queue_limit, Hasher hasher = Hasher{});
    ~HashPool();
    HashPool(const HashPool&) = delete;
    HashPool& operator=(const HashPool&) = delete;

    Result<std::string, Error> hash(std::string_view password);
    Result<Verified, Error> verify(std::string_view password, std::string_view stored);
    Result<Rehashed, Error> verify_and_rehash(std::string_view password, std::string_view stored);
    // verify_dummy returns busy when the queue is full, like a real verify would.
    Result<void, Error> verify_dummy(std::string_view password);
    // run executes any job on the pool (for other slow hashing, e.g. API-key checks).
    Result<void, Error> run(std::function<void()> job);
    // pending: jobs waiting or running now (for metrics and tests).
    std::size_t pending() const;
    const Hasher& hasher() const noexcept { return hasher_; }

private:
    struct Job;
    void work();

    Hasher hasher_;
    std::size_t queue_limit_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job*> queue_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Policy: what check_policy enforces on a new password. Lengths count Unicode code points.
struct Policy {
    std::size_t min_length = 12;
    std::size_t max_length = 1024;
    int min_score = 3;  // zxcvbn-style score 0..4, see strength_score
};

// PolicyContext: what the password must not be or contain.
struct PolicyContext {
    std::string_view username{};
    std::string_view email{};
};

// check_policy returns human messages for a form's error list; empty means acceptable.
// Invalid UTF-8 or over-long input gets one message and no further (costly) checks.
std::vector<std::string> check_policy(std::string_view password, const PolicyContext& context = {},
                                      const Policy& policy = {});

// strength_score maps zxcvbn-c's entropy estimate (bits, so log10 guesses = bits * log10 2)
// onto zxcvbn's 0..4 score: log10 guesses < 3 -> 0, < 6 -> 1, < 8 -> 2, < 10 -> 3, else 4.
// context words (username, email local part) count as known words.
int strength_score(std::string_view password, const PolicyContext& context = {});

// valid_utf8 checks strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view text) noexcept;

// read_password reads one line: from the terminal without echo when stdin is a TTY
// (prompt written to stderr), else from stdin. The newline is dropped. For
// `bulwark hash-password`. Errors: password_too_long, invalid_password, internal (read error
// or end of input before any byte).
Result<std::string, Error> read_password(std::string_view prompt = "Password: ");

}  // namespace bulwark::password
