// The Session value type, names, and the strict cookie shape check.
#include <bulwark/session.hpp>

#include "record.hpp"

namespace bulwark::session {

std::string_view load_state_name(LoadState s) noexcept {
    switch (s) {
        case LoadState::none: return "none";
        case LoadState::loaded: return "loaded";
        case LoadState::malformed: return "malformed";
        case LoadState::unknown: return "unknown";
        case LoadState::expired: return "expired";
        case LoadState::revoked: return "revoked";
        case LoadState::store_error: return "store_error";
    }
    return "unknown_state";
}

std::string_view save_error_name(SaveError e) noexcept {
    switch (e) {
        case SaveError::too_large: return "too_large";
        case SaveError::store_unavailable: return "store_unavailable";
    }
    return "unknown_error";
}

std::string cookie_name(bool production, std::string_view base) {
    std::string name = production ? "__Host-" : "";
    name.append(base);
    return name;
}

const boost::json::value* Session::get(std::string_view key) const noexcept {
    return data_.if_contains(key);
}

void Session::set(std::string_view key, boost::json::value value) {
    data_[key] = std::move(value);
    modified_ = true;
}

bool Session::erase(std::string_view key) {
    const bool erased = data_.erase(key) > 0;
    modified_ = modified_ || erased;
    return erased;
}

void Session::clear() {
    if (!data_.empty()) modified_ = true;
    data_.clear();
}

boost::json::object& Session::mutable_data() {
    modified_ = true;
    return data_;
}

void Session::destroy() {
    if (!id_.empty()) {
        destroyed_id_ = std::move(id_);
        destroyed_user_ = stored_user_;
    }
    id_.clear();
    handle_.clear();
    user_id_.clear();
    stored_user_.clear();
    data_.clear();
    epoch_ = 0;
    rotate_ = false;
    destroy_ = true;
    modified_ = true;
}

void Session::bind_user(std::string_view user_id) {
    if (user_id == user_id_) return;
    user_id_.assign(user_id);
    rotate_ = true;
    modified_ = true;
}

bool valid_cookie_id(std::string_view untrusted) noexcept {
    if (untrusted.size() != kCookieIdLength) return false;
    for (char c : untrusted) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_';
        if (!ok) return false;
    }
    // 43 characters carry 258 bits; the last character's two low bits must be zero
    // (canonical encoding), so one id has exactly one spelling.
    try {
        return crypto::base64url_decode(untrusted).has_value();
    } catch (...) {
        return false;
    }
}

bool decode_record_for_testing(std::string_view json, const Options& options) {
    return detail::decode(json, options.max_data_bytes).has_value();
}

}  // namespace bulwark::session
