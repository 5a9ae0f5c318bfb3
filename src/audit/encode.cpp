// encode.cpp: one record -> one line of JSON that no input can break.
//
// The escaper validates UTF-8 itself rather than trusting the input: a log line is read by
// terminals, `grep`, SIEM parsers and humans, and each has been fooled by bytes the others
// let through (CWE-117 log forging, ANSI escape injection, Trojan Source bidi overrides).
#include <bulwark/audit.hpp>

#include <cstdio>

namespace bulwark::audit {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u_escape(std::string& out, std::uint32_t cp) {
    // cp <= 0xFFFF here: every code point we escape is in the BMP.
    out += "\\u";
    out += kHex[(cp >> 12) & 0xF];
    out += kHex[(cp >> 8) & 0xF];
    out += kHex[(cp >> 4) & 0xF];
    out += kHex[cp & 0xF];
}

// must_escape: valid non-ASCII code points that are harmless in JSON but not in a terminal
// or a viewer: C1 controls (0x9B is a one-byte CSI in some terminals), the JavaScript line
// separators, bidirectional controls that reorder what a reader sees, and the BOM.
bool must_escape(std::uint32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// decode_utf8 reads one well-formed sequence (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF) at s[i]; returns its length, or 0 when the bytes are not one.
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char b0 = byte(0);
    const std::size_t left = s.size() - i;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (left < 2 || !continuation(byte(1))) return 0;
        cp = ((b0 & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char b1 = byte(1);
        const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F is overlong
        const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;  // ED A0..BF are surrogates
        if (b1 < lo || b1 > hi || !continuation(byte(2))) return 0;
        cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char b1 = byte(1);
        const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;  // F0 80..8F is overlong
        const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;  // above U+10FFFF
        if (b1 < lo || b1 > hi || !continuation(byte(2)) || !continuation(byte(3))) return 0;
        cp = ((b0 & 0x07u) << 18) | ((b1 & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
             (byte(3) & 0x3Fu);
        return 4;
    }
    return 0;  // a stray continuation byte, C0/C1 (always overlong), F5..FF
}

void append_field_value(std::string& out, const Field::Value& v, bool& truncated) {
    if (const auto* s = std::get_if<std::string_view>(&v)) {
        truncated |= append_json_string(out, *s);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*n);
    } else {
        out += std::get<bool>(v) ? "true" : "false";
    }
}

}  // namespace

bool append_json_string(std::string& out, std::string_view untrusted, std::size_t max_bytes) {
    bool cut = false;
    if (untrusted.size() > max_bytes) {
        // Cut at a character boundary so the last character is not turned into U+FFFD.
        std::size_t end = max_bytes;
        for (int back = 0; back < 3 && end > 0 && continuation(static_cast<unsigned char>(untrusted[end])); ++back)
            --end;
        untrusted = untrusted.substr(0, end);
        cut = true;
    }
    out.reserve(out.size() + untrusted.size() + 2);
    out += '"';
    std::size_t i = 0;
    while (i < untrusted.size()) {
        const auto c = static_cast<unsigned char>(untrusted[i]);
        if (c < 0x80) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                default:
                    if (c < 0x20 || c == 0x7F) append_u_escape(out, c);
                    else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t n = decode_utf8(untrusted, i, cp);
        if (n == 0) {
            append_u_escape(out, 0xFFFD);  // one replacement per bad byte: simple and bounded
            ++i;
        } else {
            if (must_escape(cp)) append_u_escape(out, cp);
            else out.append(untrusted.substr(i, n));
            i += n;
        }
    }
    out += '"';
    return cut;
}

std::string format_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf;
}

std::string format_line(const Record& r) {
    std::string out;
    out.reserve(256);
    bool truncated = false;
    out += "{\"time\":\"";
    out += format_time(r.time);
    out += "\",\"app\":";
    truncated |= append_json_string(out, r.app, kMaxKeyBytes);
    out += ",\"event\":\"";
    out += event_name(r.event);  // from our own table: plain ASCII
    out += "\",\"level\":\"";
    out += level_name(event_level(r.event));
    out += '"';
    const std::pair<std::string_view, std::string_view> context[] = {
        {"request_id", r.context.request_id}, {"client", r.context.client}, {"user", r.context.user}};
    for (const auto& [name, value] : context) {
        if (value.empty()) continue;
        out += ",\"";
        out += name;
        out += "\":";
        truncated |= append_json_string(out, value);
    }
    if (!r.fields.empty()) {
        // Nested, so a field can never shadow time, event, level or user.
        out += ",\"fields\":{";
        std::size_t n = 0;
        for (const auto& f : r.fields) {
            if (n == kMaxFields) {
                truncated = true;
                break;
            }
            if (n++ > 0) out += ',';
            truncated |= append_json_string(out, f.key(), kMaxKeyBytes);
            out += ':';
            append_field_value(out, f.value(), truncated);
        }
        out += '}';
    }
    if (truncated) out += ",\"truncated\":true";
    out += "}\n";
    return out;
}

}  // namespace bulwark::audit
