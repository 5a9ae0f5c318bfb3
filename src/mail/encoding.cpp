// encoding.cpp: UTF-8 checks, quoted-printable bodies, RFC 2047 subjects, RFC 5322 dates.
#include "internal.hpp"

#include <bulwark/crypto.hpp>

#include <chrono>
#include <cstdio>

namespace bulwark::mail::detail {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::size_t utf8_next(std::string_view s, std::size_t i, std::uint32_t& cp) noexcept {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char b0 = at(0);
    const std::size_t left = s.size() - i;
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (left < 2 || !continuation(at(1))) return 0;
        cp = ((b0 & 0x1Fu) << 6) | (at(1) & 0x3Fu);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
        if (at(1) < lo || at(1) > hi || !continuation(at(2))) return 0;
        cp = ((b0 & 0x0Fu) << 12) | ((at(1) & 0x3Fu) << 6) | (at(2) & 0x3Fu);
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
        if (at(1) < lo || at(1) > hi || !continuation(at(2)) || !continuation(at(3))) return 0;
        cp = ((b0 & 0x07u) << 18) | ((at(1) & 0x3Fu) << 12) | ((at(2) & 0x3Fu) << 6) | (at(3) & 0x3Fu);
        return 4;
    }
    return 0;
}

bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = utf8_next(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

bool is_ascii(std::string_view s) noexcept {
    for (unsigned char c : s)
        if (c >= 0x80) return false;
    return true;
}

std::string quoted_printable(std::string_view body) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(body.size() + body.size() / 8 + 16);
    std::string line;  // the encoded current output line
    auto flush_line = [&](bool hard) {
        out += line;
        out += hard ? "\r\n" : "=\r\n";
        line.clear();
    };
    auto put = [&](std::string_view token) {
        // 75 + the soft break '=' = 76, the RFC 2045 limit; an =XX is never split.
        if (line.size() + token.size() > 75) flush_line(false);
        line += token;
    };
    std::size_t i = 0;
    while (i <= body.size()) {
        // One source line: up to CRLF, CR or LF (all become CRLF).
        std::size_t end = body.find_first_of("\r\n", i);
        if (end == std::string_view::npos) end = body.size();
        const std::string_view src = body.substr(i, end - i);
        for (std::size_t k = 0; k < src.size(); ++k) {
            const auto c = static_cast<unsigned char>(src[k]);
            const bool last = k + 1 == src.size();
            const bool literal = (c >= 33 && c <= 126 && c != '=') ||
                                 ((c == ' ' || c == '\t') && !last);
            // A '.' opening a line is encoded so no line can read as the SMTP end of data.
            // (Also after a soft break, which put() makes when the line is full.)
            const bool line_start_dot = c == '.' && (line.empty() || line.size() + 1 > 75);
            if (literal && !line_start_dot) {
                const char ch = static_cast<char>(c);
                put(std::string_view(&ch, 1));
            } else {
                const char enc[3] = {'=', kHex[c >> 4], kHex[c & 0xF]};
                put(std::string_view(enc, 3));
            }
        }
        if (end == body.size()) {
            out += line;
            break;
        }
        flush_line(true);
        i = end + ((body[end] == '\r' && end + 1 < body.size() && body[end + 1] == '\n') ? 2 : 1);
        if (i == body.size()) break;
    }
    return out;
}

std::string encoded_words(std::string_view text) {
    // "=?utf-8?B?" + base64 + "?=" <= 75 characters leaves 63 for base64: 45 input bytes.
    constexpr std::size_t kChunk = 45;
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = i;
        while (end < text.size()) {
            std::uint32_t cp = 0;
            std::size_t n = utf8_next(text, end, cp);
            if (n == 0) n = 1;  // callers pass valid UTF-8; stay bounded regardless
            if (end + n - i > kChunk) break;
            end += n;
        }
        if (!out.empty()) out += "\r\n ";
        out += "=?utf-8?B?";
        out += crypto::base64_encode(crypto::as_bytes(text.substr(i, end - i)));
        out += "?=";
        i = end;
    }
    return out;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
    using namespace std::chrono;
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const sys_seconds t{seconds{unix_seconds}};
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const weekday wd{day};
    const hh_mm_ss hms{t - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0000", kDays[wd.c_encoding()],
                  static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
    return buf;
}

}  // namespace bulwark::mail::detail
