// API keys in the app's database: only the HMAC of each key is stored (apikey::Registry
// computes it), so a database dump gives no usable key.
#include "app_state.hpp"

#include <sstream>

namespace reference::detail {
namespace {

namespace ak = bulwark::apikey;
namespace db = bulwark::db;

std::string join_scopes(const std::vector<std::string>& scopes) {
    std::string out;
    for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
    return out;
}

ak::KeyRecord from_row(const db::Row& r) {
    ak::KeyRecord k;
    k.id = r.get<std::string>("id");
    k.name = r.get<std::string>("name");
    k.owner = r.get<std::string>("owner");
    std::istringstream scopes(r.get<std::string>("scopes"));
    for (std::string s; scopes >> s;) k.scopes.push_back(s);
    const auto hash = r.get<db::Bytes>("secret_hash");
    if (hash.size() == k.secret_hash.size()) std::copy(hash.begin(), hash.end(), k.secret_hash.begin());
    k.created_at = r.get<std::int64_t>("created_at");
    k.expires_at = r.get<std::optional<std::int64_t>>("expires_at");
    k.revoked_at = r.get<std::optional<std::int64_t>>("revoked_at");
    k.last_used_at = r.get<std::optional<std::int64_t>>("last_used_at");
    return k;
}

class DbKeyRepository final : public ak::Repository {
public:
    explicit DbKeyRepository(db::Database database) : db_(std::move(database)) {}

    bulwark::Result<void, ak::RepositoryError> insert(const ak::KeyRecord& k) override {
        const std::vector<std::uint8_t> hash(k.secret_hash.begin(), k.secret_hash.end());
        auto r = db_.execute(
            "INSERT INTO api_keys (id, name, owner, scopes, secret_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            k.id, k.name, k.owner, join_scopes(k.scopes), hash, k.created_at, k.expires_at);
        if (!r) return r.error() == db::ErrorCode::unique_violation ? ak::RepositoryError::duplicate_id
                                                                    : ak::RepositoryError::unavailable;
        return {};
    }
    bulwark::Result<std::optional<ak::KeyRecord>, ak::RepositoryError> find(std::string_view id) override {
        auto rows = db_.query("SELECT * FROM api_keys WHERE id = ?", id);
        if (!rows) return ak::RepositoryError::unavailable;
        if (rows->empty()) return std::optional<ak::KeyRecord>();
        return std::optional<ak::KeyRecord>(from_row(rows->front()));
    }
    bulwark::Result<std::vector<ak::KeyRecord>, ak::RepositoryError> list(std::string_view owner) override {
        auto rows = owner.empty() ? db_.query("SELECT * FROM api_keys ORDER BY created_at")
                                  : db_.query("SELECT * FROM api_keys WHERE owner = ? ORDER BY created_at", owner);
        if (!rows) return ak::RepositoryError::unavailable;
        std::vector<ak::KeyRecord> out;
        for (const auto& row : *rows) out.push_back(from_row(row));
        return out;
    }
    bulwark::Result<bool, ak::RepositoryError> revoke(std::string_view id, std::int64_t at) override {
        auto n = db_.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id);
        if (!n) return ak::RepositoryError::unavailable;
        if (*n > 0) return true;
        auto exists = find(id);
        if (!exists) return exists.error();
        return exists->has_value();
    }
    bulwark::Result<void, ak::RepositoryError> touch(std::string_view id, std::int64_t at) override {
        if (!db_.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", at, id))
            return ak::RepositoryError::unavailable;
        return {};
    }

private:
    db::Database db_;
};

}  // namespace

std::shared_ptr<ak::Repository> make_key_repository(db::Database database) {
    return std::make_shared<DbKeyRepository>(std::move(database));
}

}  // namespace reference::detail
