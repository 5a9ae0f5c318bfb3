// manager_impl.hpp: the Manager's shared state and the per-user index. Private.
#pragma once

#include <bulwark/session.hpp>

#include "record.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::session {

struct Manager::Impl {
    std::shared_ptr<store::Store> store;
    crypto::SecretBytes key;  // KeyRing subkey for Purpose::session
    Options options;

    TimePoint now() const { return options.now ? options.now() : Clock::now(); }

    // record_hash: hex HMAC of the cookie id; the only name a record has in the store.
    std::string record_hash(std::string_view id) const;
    std::string record_key(std::string_view hash) const { return options.key_prefix + "s|" + std::string(hash); }
    std::string user_hash(std::string_view user) const;
    std::string index_key(std::string_view user) const { return options.key_prefix + "u|" + user_hash(user); }
    std::string epoch_key(std::string_view user) const { return options.key_prefix + "e|" + user_hash(user); }

    // read_epoch: the user's "log out everywhere" generation (0 when never used).
    Result<std::int64_t, store::StoreError> read_epoch(std::string_view user) const;
    // ttl_for: how long the store keeps a record last seen at `last_seen`.
    store::Ttl ttl_for(const detail::Record& r) const;
    bool expired(const detail::Record& r, TimePoint now) const;

    // The index: {"s":[{"k":record_hash,"h":handle,"c":created_ms}, ...]} under index_key.
    // Read-modify-write; a lost update between two simultaneous logins of one user can only
    // hide a session from the index, and the epoch check (refresh_interval) ends such a
    // session anyway after "log out everywhere".
    struct Entry {
        std::string hash;
        std::string handle;
        std::int64_t created_ms = 0;
    };
    Result<std::vector<Entry>, store::StoreError> read_index(std::string_view user) const;
    Result<void, store::StoreError> write_index(std::string_view user, const std::vector<Entry>& entries) const;
    Result<void, store::StoreError> index_add(std::string_view user, Entry entry) const;
    Result<void, store::StoreError> index_remove(std::string_view user, std::string_view hash) const;
};

}  // namespace bulwark::session
