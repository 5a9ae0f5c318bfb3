// The per-user session index: listing, revoking one, and "log out everywhere".
#include "manager_impl.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>

namespace bulwark::session {
namespace json = boost::json;

namespace {
constexpr std::size_t kMaxIndexBytes = 256 * 1024;
}

std::string Manager::Impl::record_hash(std::string_view id) const {
    const auto mac = crypto::hmac_sha256(key.reveal(), crypto::as_bytes(id));
    return crypto::hex_encode(mac);
}

std::string Manager::Impl::user_hash(std::string_view user) const {
    std::string message = "user";
    message.push_back('\0');
    message.append(user);
    const auto mac = crypto::hmac_sha256(key.reveal(), crypto::as_bytes(message));
    return crypto::hex_encode(mac);
}

Result<std::int64_t, store::StoreError> Manager::Impl::read_epoch(std::string_view user) const {
    auto got = store->get(epoch_key(user));
    if (!got) return got.error();
    if (!*got) return std::int64_t{0};
    std::int64_t value = 0;
    const std::string& text = **got;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return store::StoreError::internal;
    return value;
}

Result<std::vector<Manager::Impl::Entry>, store::StoreError> Manager::Impl::read_index(
    std::string_view user) const {
    auto got = store->get(index_key(user));
    if (!got) return got.error();
    std::vector<Entry> entries;
    if (!*got || (*got)->size() > kMaxIndexBytes) return entries;
    json::error_code ec;
    json::value v;
    try {
        v = json::parse(**got, ec);
    } catch (const std::exception&) {
        return entries;
    }
    if (ec || !v.is_object()) return entries;
    const json::value* list = v.as_object().if_contains("s");
    if (!list || !list->is_array()) return entries;
    for (const json::value& item : list->as_array()) {
        if (!item.is_object()) continue;
        const json::object& o = item.as_object();
        const json::value* k = o.if_contains("k");
        const json::value* h = o.if_contains("h");
        const json::value* c = o.if_contains("c");
        if (!k || !k->is_string() || k->as_string().size() != 64 || !h || !h->is_string() ||
            h->as_string().size() > detail::kMaxHandle || !c || !c->is_int64())
            continue;
        entries.push_back({std::string(k->as_string()), std::string(h->as_string()), c->as_int64()});
    }
    return entries;
}

Result<void, store::StoreError> Manager::Impl::write_index(std::string_view user,
                                                         const std::vector<Entry>& entries) const {
    if (entries.empty()) {
        auto erased = store->erase(index_key(user));
        if (!erased) return erased.error();
        return {};
    }
    json::array list;
    for (const Entry& e : entries) list.push_back(json::object{{"k", e.hash}, {"h", e.handle}, {"c", e.created_ms}});
    const std::string text = json::serialize(json::object{{"s", std::move(list)}});
    // The index lives as long as the youngest session could.
    return store->set(index_key(user), text,
                      std::chrono::duration_cast<store::Ttl>(options.absolute_timeout));
}

Result<void, store::StoreError> Manager::Impl::index_add(std::string_view user, Entry entry) const {
    auto entries = read_index(user);
    if (!entries) return entries.error();
    entries->push_back(std::move(entry));
    std::sort(entries->begin(), entries->end(),
              [](const Entry& a, const Entry& b) { return a.created_ms < b.created_ms; });
    const std::size_t cap = std::max<std::size_t>(1, options.max_sessions_per_user);
    while (entries->size() > cap) {  // end the oldest: a bounded index, a bounded list page
        (void)store->erase(record_key(entries->front().hash));
        entries->erase(entries->begin());
    }
    return write_index(user, *entries);
}

Result<void, store::StoreError> Manager::Impl::index_remove(std::string_view user,
                                                          std::string_view hash) const {
    auto entries = read_index(user);
    if (!entries) return entries.error();
    const auto before = entries->size();
    std::erase_if(*entries, [&](const Entry& e) { return e.hash == hash; });
    if (entries->size() == before) return {};
    return write_index(user, *entries);
}

Result<std::size_t, store::StoreError> Manager::end_all_for_user(std::string_view user_id,
                                                                 Session* keep) const {
    const Impl& m = *impl_;
    // The epoch first: a session created while we erase carries the old epoch and is
    // refused at its next refresh.
    auto epoch = m.store->increment(m.epoch_key(user_id), 1, store::Ttl{0});
    if (!epoch) return epoch.error();
    auto entries = m.read_index(user_id);
    if (!entries) return entries.error();
    std::string keep_hash;
    if (keep && !keep->id_.empty() && keep->user_id_ == user_id) keep_hash = m.record_hash(keep->id_);
    std::vector<Impl::Entry> kept;
    std::size_t ended = 0;
    for (const Impl::Entry& e : *entries) {
        if (!keep_hash.empty() && crypto::equal(e.hash, keep_hash)) {
            kept.push_back(e);
            continue;
        }
        auto erased = m.store->erase(m.record_key(e.hash));
        if (!erased) return erased.error();
        if (*erased) ++ended;
    }
    auto written = m.write_index(user_id, kept);
    if (!written) return written.error();
    if (keep && keep->user_id_ == user_id) {
        keep->epoch_ = *epoch;
        keep->modified_ = true;  // save() writes the new epoch into the kept record
    }
    return ended;
}

Result<std::vector<SessionInfo>, store::StoreError> Manager::list_for_user(std::string_view user_id) const {
    const Impl& m = *impl_;
    auto entries = m.read_index(user_id);
    if (!entries) return entries.error();
    auto epoch = m.read_epoch(user_id);
    if (!epoch) return epoch.error();
    const TimePoint now = m.now();
    std::vector<SessionInfo> out;
    std::vector<Impl::Entry> live;
    for (const Impl::Entry& e : *entries) {
        auto got = m.store->get(m.record_key(e.hash));
        if (!got) return got.error();
        if (!*got) continue;
        auto r = detail::decode(**got, m.options.max_data_bytes);
        if (!r || r->user != user_id || r->epoch < *epoch || m.expired(*r, now)) continue;
        live.push_back(e);
        out.push_back({r->handle, detail::from_ms(r->created_ms), detail::from_ms(r->last_seen_ms),
                       r->address, r->user_agent});
    }
    if (live.size() != entries->size()) (void)m.write_index(user_id, live);  // prune, best effort
    return out;
}

Result<bool, store::StoreError> Manager::revoke(std::string_view user_id, std::string_view handle) const {
    const Impl& m = *impl_;
    if (handle.empty() || handle.size() > detail::kMaxHandle) return false;
    auto entries = m.read_index(user_id);
    if (!entries) return entries.error();
    for (const Impl::Entry& e : *entries) {
        if (!crypto::equal(e.handle, handle)) continue;
        auto erased = m.store->erase(m.record_key(e.hash));
        if (!erased) return erased.error();
        auto removed = m.index_remove(user_id, e.hash);
        if (!removed) return removed.error();
        return true;
    }
    return false;
}

}  // namespace bulwark::session
