// MemoryRepository: a map behind a mutex, for tests and single-process demos.
#include <bulwark/apikey.hpp>

namespace bulwark::apikey {

Result<void, RepositoryError> MemoryRepository::insert(const KeyRecord& record) {
    std::lock_guard lock(mutex_);
    if (!records_.emplace(record.id, record).second) return RepositoryError::duplicate_id;
    return {};
}

Result<std::optional<KeyRecord>, RepositoryError> MemoryRepository::find(std::string_view id) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) return std::optional<KeyRecord>{};
    return std::optional<KeyRecord>{it->second};
}

Result<std::vector<KeyRecord>, RepositoryError> MemoryRepository::list(std::string_view owner) {
    std::lock_guard lock(mutex_);
    std::vector<KeyRecord> out;
    for (const auto& [id, r] : records_)
        if (owner.empty() || r.owner == owner) out.push_back(r);
    return out;
}

Result<bool, RepositoryError> MemoryRepository::revoke(std::string_view id, std::int64_t at) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) return false;
    if (!it->second.revoked_at) it->second.revoked_at = at;
    return true;
}

Result<void, RepositoryError> MemoryRepository::touch(std::string_view id, std::int64_t at) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it != records_.end()) it->second.last_used_at = at;
    return {};
}

}  // namespace bulwark::apikey
