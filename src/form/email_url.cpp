// is_valid_email and is_valid_url: practical address and URL rules, hand-written so that every
// rule is visible (and none backtracks).
#include <bulwark/form.hpp>

#include <algorithm>
#include <cctype>

namespace bulwark::form {
namespace {

bool ascii_alnum(unsigned char c) noexcept { return std::isalnum(c) != 0 && c < 0x80; }

// atext of RFC 5322 §3.2.3.
bool atext(unsigned char c) noexcept {
    static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
    return ascii_alnum(c) || kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool dot_atom(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '.') {
            if (s[i + 1] == '.') return false;  // i + 1 < size: the last byte is not '.'
        } else if (!atext(c)) {
            return false;
        }
    }
    return true;
}

// quoted_string of RFC 5322 §3.2.4 without folding white space: printable ASCII, `\` pairs.
bool quoted_string(std::string_view s) {
    if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == '\\') {
            if (i + 2 >= s.size()) return false;
            auto next = static_cast<unsigned char>(s[++i]);
            if (next < 0x20 || next > 0x7E) return false;
        } else if (c == '"' || c < 0x20 || c > 0x7E) {
            return false;
        }
    }
    return true;
}

// decode_utf8 returns the next code point (input already checked well-formed).
char32_t next_code_point(std::string_view s, std::size_t& i) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += static_cast<std::size_t>(len);
    return cp;
}

// idna_light refuses the code points that have no business in a host name: controls, spaces,
// format characters (zero-width joiners, bidi overrides: https://www.unicode.org/reports/tr36/),
// dot look-alikes that IDNA maps to '.', private use, specials. Full UTS #46 mapping is left to
// the resolver; this keeps spoofing tricks and separators out.
bool idna_light_ok(char32_t cp) noexcept {
    if (cp < 0xA1) return false;                        // C1 controls, NBSP (ASCII handled apart)
    if (cp == 0xAD) return false;                       // soft hyphen
    if (cp >= 0x2000 && cp <= 0x206F) return false;     // general punctuation, ZWJ, bidi controls
    if (cp == 0x3000 || cp == 0x3002) return false;     // ideographic space and full stop
    if (cp == 0xFF0E || cp == 0xFF61) return false;     // fullwidth / halfwidth full stops
    if (cp == 0xFEFF) return false;                     // BOM
    if (cp >= 0xFFF0 && cp <= 0xFFFF) return false;     // specials
    if (cp >= 0xE000 && cp <= 0xF8FF) return false;     // private use
    if (cp >= 0xF0000) return false;                    // supplementary private use
    if (cp >= 0xFE00 && cp <= 0xFE0F) return false;     // variation selectors
    return true;
}

bool host_label(std::string_view label) {
    if (label.empty() || label.size() > 255) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    std::size_t points = 0;
    for (std::size_t i = 0; i < label.size();) {
        auto c = static_cast<unsigned char>(label[i]);
        if (c < 0x80) {
            if (!ascii_alnum(c) && c != '-') return false;
            ++i;
        } else {
            if (!idna_light_ok(next_code_point(label, i))) return false;
        }
        ++points;
    }
    return points <= 63;
}

// domain_name: two or more labels, a TLD that is not all digits.
bool domain_name(std::string_view domain) {
    if (domain.empty() || domain.size() > 255 || !valid_utf8(domain)) return false;
    std::size_t labels = 0;
    std::string_view last;
    std::size_t pos = 0;
    while (true) {
        std::size_t dot = domain.find('.', pos);
        std::string_view label = domain.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
        if (!host_label(label)) return false;
        ++labels;
        last = label;
        if (dot == std::string_view::npos) break;
        pos = dot + 1;
    }
    if (labels < 2) return false;
    return !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ipv4(std::string_view s) {
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= s.size()) {
        std::size_t dot = s.find('.', pos);
        if (dot == std::string_view::npos) dot = s.size();
        std::string_view part = s.substr(pos, dot - pos);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        int v = 0;
        for (char c : part) {
            if (c < '0' || c > '9') return false;
            v = v * 10 + (c - '0');
        }
        if (v > 255) return false;
        ++parts;
        pos = dot + 1;
    }
    return parts == 4;
}

bool ipv6_literal(std::string_view s) {
    if (s.size() < 4 || s.size() > 47 || s.front() != '[' || s.back() != ']') return false;
    int colons = 0;
    for (char c : s.substr(1, s.size() - 2)) {
        if (c == ':') ++colons;
        else if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.') return false;
    }
    return colons >= 2 && colons <= 7;
}

}  // namespace

bool is_valid_email(std::string_view address, const EmailOptions& options) {
    if (address.size() > 254 || !valid_utf8(address)) return false;
    std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) return false;
    std::string_view local = address.substr(0, at);
    std::string_view domain = address.substr(at + 1);
    if (local.empty() || local.size() > 64) return false;
    bool local_ok = dot_atom(local) || (options.allow_quoted_local && quoted_string(local));
    return local_ok && domain_name(domain);
}

bool is_valid_url(std::string_view url, const std::vector<std::string>& schemes) {
    if (url.empty() || url.size() > 2048 || !valid_utf8(url)) return false;
    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7F) return false;  // no spaces or controls anywhere
    std::size_t colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string scheme(url.substr(0, colon));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) return false;
    std::string_view rest = url.substr(colon + 3);
    std::size_t end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos) return false;  // userinfo: a phishing tool
    std::string_view host = authority;
    if (std::size_t port_colon = authority.rfind(':');
        port_colon != std::string_view::npos && authority.find(']', port_colon) == std::string_view::npos) {
        std::string_view port = authority.substr(port_colon + 1);
        host = authority.substr(0, port_colon);
        if (port.empty() || port.size() > 5) return false;
        long p = 0;
        for (char c : port) {
            if (c < '0' || c > '9') return false;
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535) return false;
    }
    if (host.empty()) return false;
    if (host.front() == '[') return ipv6_literal(host);
    return ipv4(host) || domain_name(host);
}

}  // namespace bulwark::form
