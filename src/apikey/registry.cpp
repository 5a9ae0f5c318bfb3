// Registry: creation (key shown once, only its HMAC kept), authentication in constant
// time, revocation, listing.
#include "format.hpp"

#include <algorithm>
#include <stdexcept>

namespace bulwark::apikey {
namespace {

constexpr std::size_t kMaxScopes = 32;

std::int64_t system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
}

bool printable(std::string_view s, std::size_t max) {
    if (s.empty() || s.size() > max) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool valid_scope(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace

std::string_view error_name(ApiKeyError e) noexcept {
    switch (e) {
        case ApiKeyError::missing: return "missing";
        case ApiKeyError::malformed: return "malformed";
        case ApiKeyError::bad_checksum: return "bad_checksum";
        case ApiKeyError::unknown: return "unknown";
        case ApiKeyError::bad_secret: return "bad_secret";
        case ApiKeyError::expired: return "expired";
        case ApiKeyError::revoked: return "revoked";
        case ApiKeyError::insufficient_scope: return "insufficient_scope";
        case ApiKeyError::invalid_request: return "invalid_request";
        case ApiKeyError::repository_unavailable: return "repository_unavailable";
    }
    return "unknown";
}

std::string_view error_message(ApiKeyError e) noexcept {
    switch (e) {
        case ApiKeyError::insufficient_scope: return "Insufficient scope";
        case ApiKeyError::invalid_request: return "Invalid request";
        case ApiKeyError::repository_unavailable: return "Service unavailable";
        default: return "Invalid API key";  // one reason for all: no oracle for which part failed
    }
}

bool Principal::has_scope(std::string_view scope) const noexcept {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

Registry::Registry(std::shared_ptr<Repository> repository, std::vector<crypto::SecretBytes> hash_keys,
                   Config config)
    : repository_(std::move(repository)), hash_keys_(std::move(hash_keys)), config_(config), clock_(system_now) {
    if (!repository_) throw std::invalid_argument("apikey: a repository is required");
    if (hash_keys_.empty()) throw std::invalid_argument("apikey: a hash key is required");
    for (const auto& k : hash_keys_)
        if (k.size() < 32) throw std::invalid_argument("apikey: hash keys must be at least 32 bytes");
}

void Registry::set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds) {
    clock_ = std::move(now_unix_seconds);
}

std::int64_t Registry::now() const { return clock_(); }

std::array<std::uint8_t, 32> Registry::hash(const crypto::SecretBytes& key, std::string_view full) const {
    return crypto::hmac_sha256(key.reveal(), crypto::as_bytes(full));
}

Result<CreatedKey, ApiKeyError> Registry::create(const CreateOptions& o) const {
    if (!printable(o.name, 64) || !printable(o.owner, 128) || o.scopes.size() > kMaxScopes ||
        !std::all_of(o.scopes.begin(), o.scopes.end(), valid_scope) ||
        (o.ttl && o.ttl->count() <= 0))
        return ApiKeyError::invalid_request;
    for (int attempt = 0; attempt < 3; ++attempt) {  // 71-bit ids: a collision is a retry, not an error
        KeyRecord r;
        r.id = random_base62(kIdLength);
        std::string key = make_key(r.id);
        r.name = o.name;
        r.owner = o.owner;
        r.scopes = o.scopes;
        r.secret_hash = hash(hash_keys_.front(), key);
        r.created_at = now();
        if (o.ttl) r.expires_at = r.created_at + o.ttl->count();
        auto inserted = repository_->insert(r);
        if (inserted) return CreatedKey{std::move(key), std::move(r)};
        crypto::wipe(key.data(), key.size());
        if (inserted.error() != RepositoryError::duplicate_id) return ApiKeyError::repository_unavailable;
    }
    return ApiKeyError::repository_unavailable;
}

Result<Principal, ApiKeyError> Registry::authenticate(std::string_view value) const {
    auto parsed = parse_key(value);
    if (!parsed) return parsed.error();
    auto found = repository_->find(parsed->id);
    if (!found) return ApiKeyError::repository_unavailable;
    // An unknown id still costs the same HMAC and comparison as a known one.
    static const std::array<std::uint8_t, 32> kDummy{};
    const auto& stored = *found ? (*found)->secret_hash : kDummy;
    bool match = false;
    for (const auto& k : hash_keys_) {
        auto h = hash(k, parsed->full);
        match |= crypto::equal(h, stored);
    }
    if (!*found) return ApiKeyError::unknown;
    if (!match) return ApiKeyError::bad_secret;
    const KeyRecord& r = **found;
    const std::int64_t t = now();
    if (r.revoked_at) return ApiKeyError::revoked;
    if (r.expires_at && t >= *r.expires_at) return ApiKeyError::expired;
    if (!r.last_used_at || t - *r.last_used_at >= config_.last_used_resolution.count()) {
        // Best effort: a failed bookkeeping write must not lock a valid client out.
        (void)repository_->touch(r.id, t);
    }
    return Principal{r.id, r.owner, r.scopes};
}

Result<Principal, ApiKeyError> Registry::authenticate_scoped(std::string_view value,
                                                             std::string_view scope) const {
    auto p = authenticate(value);
    if (p && !p->has_scope(scope)) return ApiKeyError::insufficient_scope;
    return p;
}

Result<void, ApiKeyError> Registry::revoke(std::string_view id) const {
    auto r = repository_->revoke(id, now());
    if (!r) return ApiKeyError::repository_unavailable;
    if (!*r) return ApiKeyError::unknown;
    return {};
}

Result<std::vector<KeyRecord>, ApiKeyError> Registry::list(std::string_view owner) const {
    auto r = repository_->list(owner);
    if (!r) return ApiKeyError::repository_unavailable;
    return std::move(*r);
}

}  // namespace bulwark::apikey
