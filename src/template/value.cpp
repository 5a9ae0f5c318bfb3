// value.cpp: the render-context Value, its JSON conversions, and error formatting.
#include "escape.hpp"
#include "filters.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace bulwark::tmpl {

namespace detail {
namespace {
// ByteKey makes Map::find compare keys with an inline byte loop: keys of a row map usually
// differ in their first byte, and a libc memcmp call per tree level cost more than the rest
// of the lookup. The order is std::string's (bytes as unsigned char), so the tree agrees.
struct ByteKey {
    std::string_view s;
};
int compare_bytes(std::string_view a, std::string_view b) noexcept {
    std::size_t n = a.size() < b.size() ? a.size() : b.size();
    for (std::size_t i = 0; i < n; ++i) {
        auto x = static_cast<unsigned char>(a[i]);
        auto y = static_cast<unsigned char>(b[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}
[[maybe_unused]] bool operator<(const std::string& a, ByteKey b) noexcept { return compare_bytes(a, b.s) < 0; }
[[maybe_unused]] bool operator<(ByteKey a, const std::string& b) noexcept { return compare_bytes(a.s, b) < 0; }
}  // namespace

const Value* map_find(const Map& map, std::string_view key) noexcept {
    auto it = map.find(ByteKey{key});
    return it == map.end() ? nullptr : &it->second;
}
}  // namespace detail

Value Value::from_json(const boost::json::value& json) {
    switch (json.kind()) {
        case boost::json::kind::null: return Value();
        case boost::json::kind::bool_: return Value(json.get_bool());
        case boost::json::kind::int64: return Value(json.get_int64());
        case boost::json::kind::uint64: {
            std::uint64_t u = json.get_uint64();
            if (u <= static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<std::int64_t>(u));
            return Value(static_cast<double>(u));
        }
        case boost::json::kind::double_: return Value(json.get_double());
        case boost::json::kind::string: return Value(std::string(json.get_string()));
        case boost::json::kind::array: {
            List list;
            list.reserve(json.get_array().size());
            for (const auto& item : json.get_array()) list.push_back(from_json(item));
            return Value(std::move(list));
        }
        case boost::json::kind::object: {
            Map map;
            for (const auto& kv : json.get_object()) map.emplace(std::string(kv.key()), from_json(kv.value()));
            return Value(std::move(map));
        }
    }
    return Value();
}

bool Value::truthy() const noexcept {
    switch (data_.index()) {
        case 0: return false;
        case 1: return as_bool();
        case 2: return as_int() != 0;
        case 3: return as_double() != 0.0;
        case 4: return !as_string().empty();
        case 5: return !as_list().empty();
        case 6: return !as_map().empty();
        default: return !as_safe_html().str().empty();
    }
}

const Value* Value::find(std::string_view key) const noexcept {
    return is_map() ? detail::map_find(as_map(), key) : nullptr;
}

void Value::append_to(std::string& out) const {
    switch (data_.index()) {
        case 0: return;
        case 1: out += as_bool() ? "true" : "false"; return;
        case 2: {
            // to_chars: a page prints an integer per row (ids, loop.index); snprintf's
            // locale and format parsing cost more than the rest of the output.
            char buf[24];
            auto res = std::to_chars(buf, buf + sizeof buf, as_int());
            out.append(buf, static_cast<std::size_t>(res.ptr - buf));
            return;
        }
        case 3: {
            double d = as_double();
            if (std::isnan(d)) { out += "nan"; return; }
            if (std::isinf(d)) { out += d > 0 ? "inf" : "-inf"; return; }
            char buf[32];
            int n = std::snprintf(buf, sizeof buf, "%.17g", d);
            std::string s(buf, static_cast<std::size_t>(n));
            // Shortest form that reads back the same, like Python's repr.
            for (int prec = 1; prec < 17; ++prec) {
                n = std::snprintf(buf, sizeof buf, "%.*g", prec, d);
                if (std::strtod(buf, nullptr) == d) {
                    s.assign(buf, static_cast<std::size_t>(n));
                    break;
                }
            }
            if (s.find_first_of(".eni") == std::string::npos) s += ".0";
            out += s;
            return;
        }
        case 4: out += as_string(); return;
        case 7: out += as_safe_html().str(); return;
        default: detail::write_json(out, *this); return;
    }
}

std::string Value::to_string() const {
    std::string out;
    append_to(out);
    return out;
}

std::string to_json_for_html(const Value& value) {
    std::string out;
    detail::write_json(out, value);
    return out;
}

std::string TemplateError::to_string() const {
    // Appends one piece at a time (GCC 12 warns falsely on `s + ":" + ...` chains).
    std::string out = file.empty() ? std::string("<template>") : file;
    if (line > 0) {
        out.append(":").append(std::to_string(line));
        out.append(":").append(std::to_string(column));
    }
    out.append(": ").append(message);
    return out;
}

namespace detail {
namespace {
constexpr char kHex[] = "0123456789abcdef";
void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto ch = static_cast<unsigned char>(s[i]);
        if (ch == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
            out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
            continue;
        }
        switch (ch) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\n': out += "\\n"; continue;
            case '\r': out += "\\r"; continue;
            case '\t': out += "\\t"; continue;
            default: break;
        }
        // <, >, & and ' as \u escapes keep the JSON inert inside <script> (no "</script>",
        // no "<!--") and inside single-quoted attributes.
        if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&' || ch == '\'' || ch == 0x7F) {
            out += "\\u00";
            out += kHex[ch >> 4];
            out += kHex[ch & 15];
        } else {
            out += static_cast<char>(ch);
        }
    }
    out += '"';
}
}  // namespace

void write_json(std::string& out, const Value& v, int depth) {
    if (depth > 256) {
        out += "null";
        return;
    }
    if (v.is_null()) out += "null";
    else if (v.is_bool() || v.is_int()) v.append_to(out);
    else if (v.is_double()) {
        if (std::isfinite(v.as_double())) v.append_to(out);
        else out += "null";
    } else if (v.is_string()) json_string(out, v.as_string());
    else if (v.is_safe_html()) json_string(out, v.as_safe_html().str());
    else if (v.is_list()) {
        out += '[';
        bool first = true;
        for (const auto& item : v.as_list()) {
            if (!first) out += ',';
            first = false;
            write_json(out, item, depth + 1);
        }
        out += ']';
    } else {
        out += '{';
        bool first = true;
        for (const auto& [k, item] : v.as_map()) {
            if (!first) out += ',';
            first = false;
            json_string(out, k);
            out += ':';
            write_json(out, item, depth + 1);
        }
        out += '}';
    }
}

}  // namespace detail
}  // namespace bulwark::tmpl
