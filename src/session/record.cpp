#include "record.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace bulwark::session::detail {
namespace json = boost::json;

std::string encode(const Record& r) {
    json::object o;
    o["v"] = 1;
    o["c"] = r.created_ms;
    o["s"] = r.last_seen_ms;
    o["h"] = r.handle;
    if (!r.user.empty()) {
        o["u"] = r.user;
        o["e"] = r.epoch;
    }
    if (!r.address.empty()) o["a"] = r.address;
    if (!r.user_agent.empty()) o["ua"] = r.user_agent;
    o["d"] = r.data;
    return json::serialize(o);
}

namespace {

bool read_int(const json::object& o, std::string_view key, std::int64_t& out, bool required) {
    const json::value* v = o.if_contains(key);
    if (!v) return !required;
    if (!v->is_int64()) return false;
    out = v->as_int64();
    return out >= 0;
}

bool read_string(const json::object& o, std::string_view key, std::string& out, std::size_t max,
                 bool required) {
    const json::value* v = o.if_contains(key);
    if (!v) return !required;
    if (!v->is_string() || v->as_string().size() > max) return false;
    out.assign(v->as_string().data(), v->as_string().size());
    return true;
}

}  // namespace

std::optional<Record> decode(std::string_view text, std::size_t max_data_bytes) {
    if (text.empty() || text.size() > max_data_bytes + kRecordOverhead) return std::nullopt;
    json::parse_options opts;
    opts.max_depth = kMaxDepth;
    json::error_code ec;
    json::value v;
    try {
        v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
    } catch (const std::exception&) {  // bad_alloc only; the error_code form throws nothing else
        return std::nullopt;
    }
    if (ec || !v.is_object()) return std::nullopt;
    const json::object& o = v.as_object();
    const json::value* version = o.if_contains("v");
    if (!version || !version->is_int64() || version->as_int64() != 1) return std::nullopt;
    for (const auto& member : o) {
        const std::string_view k(member.key().data(), member.key().size());
        if (k != "v" && k != "c" && k != "s" && k != "h" && k != "u" && k != "e" && k != "a" &&
            k != "ua" && k != "d")
            return std::nullopt;
    }
    Record r;
    if (!read_int(o, "c", r.created_ms, true) || !read_int(o, "s", r.last_seen_ms, true) ||
        !read_int(o, "e", r.epoch, false) || !read_string(o, "h", r.handle, kMaxHandle, true) ||
        !read_string(o, "u", r.user, kMaxUserId, false) ||
        !read_string(o, "a", r.address, kMaxAddress, false) ||
        !read_string(o, "ua", r.user_agent, kMaxUserAgent, false))
        return std::nullopt;
    if (r.last_seen_ms < r.created_ms) return std::nullopt;
    const json::value* d = o.if_contains("d");
    if (!d || !d->is_object()) return std::nullopt;
    r.data = d->as_object();
    if (data_size(r.data) > max_data_bytes) return std::nullopt;
    return r;
}

std::size_t data_size(const json::object& data) {
    return json::serialize(data).size();
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::string clip(std::string_view text, std::size_t n) {
    std::string out;
    out.reserve(std::min(text.size(), n));
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool valid = len != 0 && i + len <= text.size();
        for (std::size_t k = 1; valid && k < len; ++k)
            valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (!valid) len = 1;
        const std::size_t add = valid ? len : 3;
        if (out.size() + add > n) break;
        if (!valid) {
            out += "\xEF\xBF\xBD";  // U+FFFD for a broken sequence
        } else if (len == 1 && (c < 0x20 || c == 0x7F)) {
            out += ' ';
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

}  // namespace bulwark::session::detail
