// application/x-www-form-urlencoded parsing, MultiDict, UTF-8 checking, parse error names.
#include <bulwark/form.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace bulwark::form {

std::string_view parse_error_name(ParseError e) noexcept {
    switch (e) {
        case ParseError::too_large: return "too_large";
        case ParseError::too_many_fields: return "too_many_fields";
        case ParseError::key_too_long: return "key_too_long";
        case ParseError::value_too_long: return "value_too_long";
        case ParseError::bad_escape: return "bad_escape";
        case ParseError::invalid_utf8: return "invalid_utf8";
        case ParseError::malformed_json: return "malformed_json";
        case ParseError::too_deep: return "too_deep";
        case ParseError::duplicate_key: return "duplicate_key";
    }
    return "unknown";
}

int http_status(ParseError e) noexcept { return e == ParseError::too_large ? 413 : 400; }

std::string parse_error_body(ParseError e) {
    std::string_view message = "The request body could not be parsed.";
    switch (e) {
        case ParseError::too_large: message = "The request body is too large."; break;
        case ParseError::too_many_fields: message = "Too many fields."; break;
        case ParseError::key_too_long: message = "A field name is too long."; break;
        case ParseError::value_too_long: message = "A value is too long."; break;
        case ParseError::bad_escape: message = "Invalid percent-encoding."; break;
        case ParseError::invalid_utf8: message = "Invalid UTF-8."; break;
        case ParseError::malformed_json: message = "Malformed JSON."; break;
        case ParseError::too_deep: message = "JSON nested too deeply."; break;
        case ParseError::duplicate_key: message = "Duplicate JSON member name."; break;
    }
    Errors errors;
    errors.add("_body", std::string(message));
    return errors.to_json();
}

bool valid_utf8(std::string_view bytes) noexcept {
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) { ++i; continue; }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte (RFC 3629 §4 table)
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) { len = 3; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) len = 3;
        else if (c == 0xED) { len = 3; hi = 0x9F; }  // no UTF-16 surrogates
        else if (c >= 0xEE && c <= 0xEF) len = 3;
        else if (c == 0xF0) { len = 4; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) { len = 4; hi = 0x8F; }   // nothing above U+10FFFF
        else return false;
        if (n - i < len) return false;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
        i += len;
    }
    return true;
}

void MultiDict::add(std::string key, std::string value) {
    items_.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string_view> MultiDict::get(std::string_view key) const {
    for (const auto& [k, v] : items_)
        if (k == key) return std::string_view(v);
    return std::nullopt;
}

std::vector<std::string_view> MultiDict::get_all(std::string_view key) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : items_)
        if (k == key) out.emplace_back(v);
    return out;
}

namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// decode_component percent-decodes one key or value, refusing bad escapes, over-long output and
// invalid UTF-8. The limit is checked on the decoded size, which never exceeds the encoded size.
Result<std::string, ParseError> decode_component(std::string_view in, std::size_t max,
                                                 ParseError too_long) {
    std::string out;
    out.reserve(std::min(in.size(), max));
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (in.size() - i < 3) return ParseError::bad_escape;
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return ParseError::bad_escape;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (out.size() == max) return too_long;
        out.push_back(c);
    }
    if (!valid_utf8(out)) return ParseError::invalid_utf8;
    return out;
}

}  // namespace

Result<MultiDict, ParseError> parse_urlencoded(std::string_view body, const UrlencodedLimits& limits) {
    if (body.size() > limits.max_size) return ParseError::too_large;
    MultiDict dict;
    std::size_t pos = 0;
    while (pos <= body.size()) {
        std::size_t amp = body.find('&', pos);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view segment = body.substr(pos, amp - pos);
        pos = amp + 1;
        if (segment.empty()) continue;
        if (dict.size() == limits.max_fields) return ParseError::too_many_fields;
        std::size_t eq = segment.find('=');
        std::string_view raw_key = segment.substr(0, eq);
        std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1);
        auto key = decode_component(raw_key, limits.max_key, ParseError::key_too_long);
        if (!key) return key.error();
        auto value = decode_component(raw_value, limits.max_value, ParseError::value_too_long);
        if (!value) return value.error();
        dict.add(std::move(*key), std::move(*value));
    }
    return dict;
}

}  // namespace bulwark::form
