// Content-Type boundary extraction and part header parsing: Content-Disposition parameters
// (RFC 7578 §4.2, RFC 6266), filename* (RFC 5987/8187), strict on every control character.
#include "part_headers.hpp"

#include <algorithm>

namespace bulwark::upload {
namespace detail {
namespace {

bool tchar(unsigned char c) noexcept {
    static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kExtra.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        auto c = static_cast<unsigned char>(ch);
        return (c < 0x20 && c != '\t') || c == 0x7F;
    });
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

struct Param {
    std::string name;
    std::string value;
};

// parse_params reads `type; a=b; c="d"` into the type and its parameters. Quoted strings take
// backslash escapes (RFC 9110 §5.6.4). A repeated parameter is refused: two parsers that pick
// different copies are how filters get bypassed.
Result<std::string, Error> parse_params(std::string_view s, std::vector<Param>& params) {
    std::size_t i = 0;
    auto skip_ows = [&] { while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i; };
    skip_ows();
    std::size_t start = i;
    while (i < s.size() && (tchar(static_cast<unsigned char>(s[i])) || s[i] == '/')) ++i;
    std::string type = lower(s.substr(start, i - start));
    if (type.empty()) return Error::bad_header;
    skip_ows();
    while (i < s.size()) {
        if (s[i] != ';') return Error::bad_header;
        ++i;
        skip_ows();
        if (i == s.size()) break;  // a trailing ';' is tolerated
        start = i;
        while (i < s.size() && tchar(static_cast<unsigned char>(s[i]))) ++i;
        std::string name = lower(s.substr(start, i - start));
        skip_ows();
        if (name.empty() || i == s.size() || s[i] != '=') return Error::bad_header;
        ++i;
        skip_ows();
        std::string value;
        if (i < s.size() && s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                char c = s[i++];
                if (c == '"') { closed = true; break; }
                if (c == '\\') {
                    if (i == s.size()) return Error::bad_header;
                    c = s[i++];
                }
                value.push_back(c);
            }
            if (!closed) return Error::bad_header;
        } else {
            start = i;
            while (i < s.size() && tchar(static_cast<unsigned char>(s[i]))) ++i;
            value = std::string(s.substr(start, i - start));
            if (value.empty()) return Error::bad_header;
        }
        skip_ows();
        for (const Param& p : params)
            if (p.name == name) return Error::bad_header;
        params.push_back({std::move(name), std::move(value)});
    }
    return type;
}

// decode_ext_value decodes RFC 8187's `UTF-8'lang'%xx..`; only UTF-8 is accepted.
Result<std::string, Error> decode_ext_value(std::string_view v) {
    std::size_t q1 = v.find('\'');
    std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos) return Error::bad_header;
    if (lower(v.substr(0, q1)) != "utf-8") return Error::bad_header;
    std::string out;
    for (std::size_t i = q2 + 1; i < v.size(); ++i) {
        if (v[i] == '%') {
            if (v.size() - i < 3 || hex(v[i + 1]) < 0 || hex(v[i + 2]) < 0) return Error::bad_header;
            out.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
            i += 2;
        } else {
            out.push_back(v[i]);
        }
    }
    return out;
}

}  // namespace

bool utf8_ok(std::string_view bytes) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size(), i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) { ++i; continue; }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) { len = 3; lo = 0xA0; }
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
        else if (c == 0xED) { len = 3; hi = 0x9F; }
        else if (c == 0xF0) { len = 4; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) { len = 4; hi = 0x8F; }
        else return false;
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
        i += len;
    }
    return true;
}

Result<void, Error> add_header_line(std::string_view line, PartHeaders& part) {
    // A line that starts with white space is obsolete folding (RFC 9112 §5.2): refused.
    if (line.empty() || line.front() == ' ' || line.front() == '\t') return Error::bad_header;
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Error::bad_header;
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return tchar(static_cast<unsigned char>(c)); }))
        return Error::bad_header;
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (has_control(value)) return Error::bad_header;  // CR, LF, NUL and friends
    part.headers.emplace_back(lower(name), std::string(value));
    return {};
}

Result<void, Error> finish_headers(PartHeaders& part) {
    const std::string* disposition = nullptr;
    const std::string* content_type = nullptr;
    for (const auto& [name, value] : part.headers) {
        const std::string** slot = name == "content-disposition" ? &disposition
                                   : name == "content-type"      ? &content_type
                                                                 : nullptr;
        if (slot == nullptr) continue;
        if (*slot != nullptr) return Error::bad_header;  // given twice
        *slot = &value;
    }
    if (disposition == nullptr) return Error::missing_disposition;
    std::vector<Param> params;
    auto type = parse_params(*disposition, params);
    if (!type) return type.error();
    if (*type != "form-data") return Error::missing_disposition;
    bool has_name = false;
    std::optional<std::string> plain_filename, ext_filename;
    for (Param& p : params) {
        if (p.name == "name") {
            has_name = true;
            part.name = std::move(p.value);
        } else if (p.name == "filename") {
            plain_filename = std::move(p.value);
        } else if (p.name == "filename*") {
            auto decoded = decode_ext_value(p.value);
            if (!decoded) return decoded.error();
            ext_filename = std::move(*decoded);
        }
    }
    if (!has_name) return Error::missing_disposition;
    if (has_control(part.name) || part.name.find('\t') != std::string::npos || !utf8_ok(part.name))
        return Error::bad_header;
    // RFC 6266 §4.3: filename* wins over filename when both are there.
    if (ext_filename) part.filename = std::move(ext_filename);
    else if (plain_filename) part.filename = std::move(plain_filename);
    if (part.filename && (has_control(*part.filename) || !utf8_ok(*part.filename))) return Error::bad_header;
    if (content_type != nullptr) part.content_type = *content_type;
    return {};
}

}  // namespace detail

Result<std::string, Error> boundary_from_content_type(std::string_view content_type) {
    std::vector<detail::Param> params;
    auto type = detail::parse_params(content_type, params);
    if (!type || *type != "multipart/form-data") return Error::bad_content_type;
    for (const auto& p : params) {
        if (p.name != "boundary") continue;
        const std::string& b = p.value;
        // RFC 2046 §5.1.1: 1 to 70 bchars, the last one not a space.
        static constexpr std::string_view kBchars = "'()+_,-./:=? ";
        if (b.empty() || b.size() > 70 || b.back() == ' ') return Error::bad_content_type;
        for (char c : b) {
            bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!alnum && kBchars.find(c) == std::string_view::npos) return Error::bad_content_type;
        }
        return b;
    }
    return Error::bad_content_type;
}

}  // namespace bulwark::upload
