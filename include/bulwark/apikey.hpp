// bulwark/apikey.hpp: API keys for machine clients (header X-API-Key).
//
// A key reads `bk_<id>_<secret><checksum>`: a 12-character base62 id, a 32-character base62
// secret (190 bits from the CSPRNG) and a 6-character base62 CRC32 of everything before it,
// so secret scanners (and our own parser) recognise a real key without a database lookup,
// as GitHub's token format does. The full key is returned once, at creation; the repository
// stores only HMAC-SHA256(KeyRing subkey for Purpose::api_key, key). A plain SHA-256 would
// be enough against guessing (190 random bits), the HMAC adds that a stolen database alone
// cannot even confirm a leaked key. Checks are constant-time; a malformed value is refused
// before any lookup. The rate limiter keys its per-key limit on Principal::key_id.
//
//     apikey::Registry keys{repo, ring.subkeys(crypto::Purpose::api_key)};
//     auto created = keys.create({.name = "ci", .owner = "alice", .scopes = {"data:read"}});
//     show_once(created->key);
//     auto who = keys.authenticate(req.header("X-API-Key"));   // on every request
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::apikey {

// ApiKeyError: why a key was refused. Every one of them answers 401 "Invalid API key"
// (error_message) except insufficient_scope (403) and repository_unavailable (503); the
// names are for the security log.
enum class ApiKeyError {
    missing,                 // no X-API-Key header
    malformed,               // not bk_<12>_<38> in base62
    bad_checksum,            // the checksum does not match: a typo or a made-up key
    unknown,                 // no key has this id
    bad_secret,              // the id exists, the secret is wrong
    expired,                 // past its expiry
    revoked,                 // revoked
    insufficient_scope,      // authenticate_scoped: the key lacks the scope
    invalid_request,         // create(): bad name/owner/scope
    repository_unavailable,  // the repository failed; refused (fails closed)
};
std::string_view error_name(ApiKeyError e) noexcept;
std::string_view error_message(ApiKeyError e) noexcept;

inline constexpr std::string_view kHeader = "X-API-Key";
inline constexpr std::size_t kIdLength = 12;
inline constexpr std::size_t kSecretLength = 32;
inline constexpr std::size_t kChecksumLength = 6;
inline constexpr std::size_t kKeyLength = 3 + kIdLength + 1 + kSecretLength + kChecksumLength;

// KeyRecord: what the repository stores. Never the key itself.
struct KeyRecord {
    std::string id;
    std::string name;
    std::string owner;
    std::vector<std::string> scopes;
    std::array<std::uint8_t, 32> secret_hash{};
    std::int64_t created_at = 0;  // Unix seconds
    std::optional<std::int64_t> expires_at;
    std::optional<std::int64_t> revoked_at;
    std::optional<std::int64_t> last_used_at;
};

enum class RepositoryError { unavailable, duplicate_id };

// Repository: where the app keeps KeyRecords (its database, through the db component).
// Implementations must be thread-safe.
class Repository {
public:
    virtual ~Repository() = default;
    virtual Result<void, RepositoryError> insert(const KeyRecord& record) = 0;
    virtual Result<std::optional<KeyRecord>, RepositoryError> find(std::string_view id) = 0;
    // list: every key of `owner`, or all keys when owner is empty.
    virtual Result<std::vector<KeyRecord>, RepositoryError> list(std::string_view owner) = 0;
    // revoke sets revoked_at if unset; false when no such key.
    virtual Result<bool, RepositoryError> revoke(std::string_view id, std::int64_t at) = 0;
    virtual Result<void, RepositoryError> touch(std::string_view id, std::int64_t at) = 0;
};

// MemoryRepository: an in-process Repository for tests and single-process demos.
class MemoryRepository final : public Repository {
public:
    Result<void, RepositoryError> insert(const KeyRecord& record) override;
    Result<std::optional<KeyRecord>, RepositoryError> find(std::string_view id) override;
    Result<std::vector<KeyRecord>, RepositoryError> list(std::string_view owner) override;
    Result<bool, RepositoryError> revoke(std::string_view id, std::int64_t at) override;
    Result<void, RepositoryError> touch(std::string_view id, std::int64_t at) override;

private:
    std::mutex mutex_;
    std::map<std::string, KeyRecord, std::less<>> records_;
};

// ParsedKey: a value that passed the format and checksum check (not yet authenticated).
struct ParsedKey {
    std::string_view id;
    std::string_view full;
};
// parse_key checks the shape and checksum of an X-API-Key value, before any lookup.
Result<ParsedKey, ApiKeyError> parse_key(std::string_view untrusted_value) noexcept;

struct CreateOptions {
    std::string name;                         // 1-64 printable ASCII
    std::string owner;                        // 1-128 printable ASCII
    std::vector<std::string> scopes;          // each [a-z0-9:._-]{1,64}, at most 32
    std::optional<std::chrono::seconds> ttl;  // none: no expiry
};
struct CreatedKey {
    std::string key;  // show once; it cannot be recovered later
    KeyRecord record;
};
// Principal: who a valid key speaks for.
struct Principal {
    std::string key_id;  // the rate limiter's key
    std::string owner;
    std::vector<std::string> scopes;
    bool has_scope(std::string_view scope) const noexcept;
};

struct Config {
    // last_used_resolution: last_used_at is written at most this often per key, so a busy
    // key does not cost a database write per request.
    std::chrono::seconds last_used_resolution{60};
};

// Registry: creates, authenticates, lists and revokes keys. Thread-safe if the repository is.
class Registry {
public:
    // hash_keys: the Purpose::api_key subkeys, current first (KeyRing::subkeys), so a
    // rotated SECRET_KEY keeps old keys working. Throws std::invalid_argument if empty,
    // shorter than 32 bytes, or the repository is null.
    Registry(std::shared_ptr<Repository> repository, std::vector<crypto::SecretBytes> hash_keys,
             Config config = {});

    Result<CreatedKey, ApiKeyError> create(const CreateOptions& options) const;
    Result<Principal, ApiKeyError> authenticate(std::string_view untrusted_value) const;
    Result<Principal, ApiKeyError> authenticate_scoped(std::string_view untrusted_value,
                                                       std::string_view required_scope) const;
    Result<void, ApiKeyError> revoke(std::string_view id) const;
    Result<std::vector<KeyRecord>, ApiKeyError> list(std::string_view owner = {}) const;

    void set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds);

private:
    std::array<std::uint8_t, 32> hash(const crypto::SecretBytes& key, std::string_view full) const;
    std::int64_t now() const;

    std::shared_ptr<Repository> repository_;
    std::vector<crypto::SecretBytes> hash_keys_;
    Config config_;
    std::function<std::int64_t()> clock_;
};

}  // namespace bulwark::apikey
