// escape.cpp: choosing an escaper for a context and applying it at render time.
// References: Go html/template (escape.go, html.go, js.go, css.go, url.go); OWASP XSS
// Prevention Cheat Sheet rules 1-5 (https://cheatsheetseries.owasp.org/cheatsheets/
// Cross_Site_Scripting_Prevention_Cheat_Sheet.html).
#include "escape.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bulwark::tmpl::detail {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool is_alnum(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

void unquoted_attr_escape(std::string& out, std::string_view s) {
    if (s.empty()) {
        out += kFailsafe;  // `a={{x}} b` with x empty would make " b" the value of a
        return;
    }
    for (char ch : s) {
        switch (ch) {
            case '\0': out += "&#xfffd;"; break;
            case '\t': out += "&#9;"; break;
            case '\n': out += "&#10;"; break;
            case '\v': out += "&#11;"; break;
            case '\f': out += "&#12;"; break;
            case '\r': out += "&#13;"; break;
            case ' ': out += "&#32;"; break;
            case '"': out += "&#34;"; break;
            case '&': out += "&amp;"; break;
            case '\'': out += "&#39;"; break;
            case '+': out += "&#43;"; break;
            case '<': out += "&lt;"; break;
            case '=': out += "&#61;"; break;
            case '>': out += "&gt;"; break;
            case '`': out += "&#96;"; break;
            default: out += ch;
        }
    }
}

// url_scheme_allowed implements the filter browsers cannot be tricked around: the scheme
// is what precedes the first ':' before any '/', '?' or '#', after the browser strips
// leading C0 controls and spaces and removes tabs and newlines anywhere.
bool url_scheme_allowed(std::string_view s) {
    std::string scheme;
    std::size_t i = 0;
    while (i < s.size() && static_cast<unsigned char>(s[i]) <= 0x20) ++i;
    for (; i < s.size(); ++i) {
        char ch = s[i];
        if (ch == '/' || ch == '?' || ch == '#') return true;  // relative URL
        if (ch == ':') break;
        if (ch == '\t' || ch == '\n' || ch == '\r') continue;
        scheme += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    }
    if (i == s.size()) return true;  // no scheme: relative
    if (scheme == "http" || scheme == "https" || scheme == "mailto" || scheme == "tel") return true;
    if (scheme == "data") {
        std::string_view rest = s.substr(i + 1);
        for (std::string_view type : {"image/png;base64,", "image/gif;base64,",
                                      "image/jpeg;base64,", "image/webp;base64,"}) {
            if (rest.starts_with(type)) {
                for (char ch : rest.substr(type.size())) {
                    if (!is_alnum(static_cast<unsigned char>(ch)) && ch != '+' && ch != '/' && ch != '=')
                        return false;
                }
                return true;
            }
        }
    }
    return false;
}

enum class UrlMode { normalize, strict, query };

void url_process(std::string& out, std::string_view s, UrlMode mode) {
    for (char c : s) {
        auto ch = static_cast<unsigned char>(c);
        bool keep = is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if (!keep && mode != UrlMode::query) {
            switch (ch) {
                case '!': case '#': case '$': case '&': case '*': case '+': case ',': case '/':
                case ';': case '=': case '?': case '@': case '[': case ']': case '%':
                    keep = true;
                    break;
                case ':': keep = mode == UrlMode::normalize; break;
                default: break;
            }
        }
        if (keep) {
            out += c;
        } else {
            out += '%';
            out += kHex[ch >> 4];
            out += kHex[ch & 15];
        }
    }
}

// js_string_escape keeps only characters that are inert in every JS string, HTML and
// attribute context; everything else becomes \uXXXX, including U+2028/U+2029.
void js_string_escape(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto ch = static_cast<unsigned char>(s[i]);
        if (ch >= 0x80) {
            if (ch == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
                out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
                i += 2;
                continue;
            }
            out += s[i];
            continue;
        }
        if (is_alnum(ch) || ch == ' ' || ch == '_' || ch == ',' || ch == '.' || ch == '-' ||
            ch == ':' || ch == ';' || ch == '!' || ch == '?' || ch == '@' || ch == '#' ||
            ch == '$' || ch == '%' || ch == '^' || ch == '*' || ch == '(' || ch == ')' ||
            ch == '=' || ch == '~' || ch == '[' || ch == ']' || ch == '{' || ch == '}' || ch == '|') {
            out += static_cast<char>(ch);
            continue;
        }
        out += "\\u00";
        out += kHex[ch >> 4];
        out += kHex[ch & 15];
    }
}

void css_value_filter(std::string& out, std::string_view s) {
    std::string lowered;
    for (char ch : s) {
        auto u = static_cast<unsigned char>(ch);
        if (!is_alnum(u) && ch != ' ' && ch != '#' && ch != '%' && ch != ',' && ch != '.' &&
            ch != '_' && ch != '-') {
            out += kFailsafe;
            return;
        }
        lowered += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    }
    for (std::string_view bad : {"expression", "javascript", "vbscript", "behavior", "binding"}) {
        if (lowered.find(bad) != std::string::npos) {
            out += kFailsafe;
            return;
        }
    }
    out += s;
}

void css_string_escape(std::string& out, std::string_view s) {
    for (char c : s) {
        auto ch = static_cast<unsigned char>(c);
        if (ch >= 0x80 || is_alnum(ch) || ch == ' ') {
            out += c;
        } else {
            out += '\\';
            if (ch >> 4) out += kHex[ch >> 4];
            out += kHex[ch & 15];
            out += ' ';
        }
    }
}

void apply_primary(std::string& out, const Value& v, Primary p) {
    if (p == Primary::js_value) {
        out += ' ';  // keep the literal from fusing with a neighbouring token (Go does this)
        write_json(out, v);
        out += ' ';
        return;
    }
    std::string tmp;
    std::string_view s;
    if (v.is_string()) s = v.as_string();
    else if (v.is_safe_html()) s = v.as_safe_html().str();
    else {
        tmp = v.to_string();
        s = tmp;
    }
    switch (p) {
        case Primary::html:
        case Primary::html_always: html_escape(out, s); break;
        case Primary::plain: out += s; break;
        case Primary::url_filter:
            if (url_scheme_allowed(s)) url_process(out, s, UrlMode::normalize);
            else out += kBlockedUrl;
            break;
        case Primary::url_strict: url_process(out, s, UrlMode::strict); break;
        case Primary::url_query: url_process(out, s, UrlMode::query); break;
        case Primary::js_string: js_string_escape(out, s); break;
        case Primary::css_value: css_value_filter(out, s); break;
        case Primary::css_string: css_string_escape(out, s); break;
        default: break;
    }
}

}  // namespace

namespace {

// kHtmlClass maps a byte to its entry in kHtmlReplacement, 0 for a byte copied as is.
constexpr auto kHtmlClass = [] {
    std::array<std::uint8_t, 256> t{};
    t[static_cast<unsigned char>('&')] = 1;
    t[static_cast<unsigned char>('<')] = 2;
    t[static_cast<unsigned char>('>')] = 3;
    t[static_cast<unsigned char>('"')] = 4;
    t[static_cast<unsigned char>('\'')] = 5;
    t[0] = 6;
    return t;
}();
// Each replacement is stored in 8 bytes and always copied whole (one move instead of a
// variable-length copy); `size` says how many of them count.
struct HtmlReplacement {
    char text[8];
    std::size_t size;
};
constexpr HtmlReplacement kHtmlReplacement[] = {
    {"", 0}, {"&amp;", 5}, {"&lt;", 4}, {"&gt;", 4}, {"&#34;", 5}, {"&#39;", 5}, {"\xEF\xBF\xBD", 3}};
constexpr std::size_t kMaxReplacement = 5;  // bytes one input byte can become
constexpr std::size_t kHtmlSlice = 64;      // input bytes escaped per append (a multiple of 16)

// special_mask returns one bit per byte of [p, p + n), n <= 16, set where html_escape
// replaces the byte; the `behind` bytes before p are readable too. With SSE2 it is six
// compares of one 16-byte load; a short last block loads the 16 bytes that end where it
// ends (overlapping the block before) and shifts, so nothing is read past the value and no
// copy into a buffer stalls the load. Values under 16 bytes take the table loop.
unsigned special_mask(const char* p, std::size_t n, std::size_t behind) {
#if defined(__SSE2__)
    if (n + behind >= 16) {
        const std::size_t shift = 16 - n;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p - shift));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('&')), _mm_cmpeq_epi8(v, _mm_set1_epi8('<'))),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('>')), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
        hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')), _mm_cmpeq_epi8(v, _mm_setzero_si128())));
        return static_cast<unsigned>(_mm_movemask_epi8(hit)) >> shift;
    }
#else
    (void)behind;
#endif
    unsigned mask = 0;
    for (std::size_t i = 0; i < n; ++i) {
        // Branch-free: a special byte is data, so a branch on it mispredicts.
        mask |= static_cast<unsigned>(kHtmlClass[static_cast<unsigned char>(p[i])] != 0) << i;
    }
    return mask;
}

}  // namespace

// html_escape appends `s` with the five HTML specials as references and NUL as U+FFFD.
// It works in 64-byte slices: the slice's special bytes are found 16 at a time; a slice
// without any is appended as is, otherwise it is escaped into a stack buffer (large enough
// for the worst case) and that is appended. Either way one append per slice: appending piece
// by piece cost two library calls per special byte and made this the hottest function of a
// page render.
void html_escape(std::string& out, std::string_view s) {
    for (std::size_t start = 0; start < s.size(); start += kHtmlSlice) {
        const char* const p = s.data() + start;
        const std::size_t len = std::min(kHtmlSlice, s.size() - start);
        unsigned masks[kHtmlSlice / 16];
        unsigned any = 0;
        const std::size_t blocks = (len + 15) / 16;
        for (std::size_t b = 0; b < blocks; ++b) {
            masks[b] = special_mask(p + b * 16, std::min<std::size_t>(16, len - b * 16), start + b * 16);
            any |= masks[b];
        }
        if (any == 0) {
            out.append(p, len);
            continue;
        }
        // + 16: a run of up to 16 bytes is copied as 16 when the input has them, and a
        // replacement as 8 bytes; the excess is overwritten or not appended.
        char buf[kHtmlSlice * kMaxReplacement + 16];
        const std::size_t readable = s.size() - start;  // bytes of `s` from p on
        char* w = buf;
        std::size_t run = 0;  // start of the bytes not yet copied
        for (std::size_t b = 0; b < blocks; ++b) {
            for (unsigned mask = masks[b]; mask != 0; mask &= mask - 1) {
                std::size_t at = b * 16 + static_cast<std::size_t>(std::countr_zero(mask));
                if (at - run <= 16 && run + 16 <= readable) std::memcpy(w, p + run, 16);  // no call
                else std::memcpy(w, p + run, at - run);
                w += at - run;
                const HtmlReplacement& r = kHtmlReplacement[kHtmlClass[static_cast<unsigned char>(p[at])]];
                std::memcpy(w, r.text, sizeof r.text);
                w += r.size;
                run = at + 1;
            }
        }
        std::memcpy(w, p + run, len - run);
        w += len - run;
        out.append(buf, static_cast<std::size_t>(w - buf));
    }
}

std::string url_encode(std::string_view s) {
    std::string out;
    url_process(out, s, UrlMode::query);
    return out;
}

void emit(std::string& out, const Value& v, Escaper e) {
    if (e.primary == Primary::refused) return;
    if (e.primary == Primary::html && e.wrapper == Wrapper::none) {
        if (v.is_safe_html()) out += v.as_safe_html().str();
        else if (v.is_string()) html_escape(out, v.as_string());
        else if (v.is_int() || v.is_null() || v.is_bool()) v.append_to(out);
        else html_escape(out, v.to_string());
        return;
    }
    if (v.is_int() && e.primary != Primary::js_value && e.primary != Primary::css_string) {
        // An integer's text (digits and a leading '-') passes every other escaper and
        // attribute wrapper unchanged (escape_fastpath_test checks each context), so it is
        // written directly: ids in URLs and loop counters are the common case.
        v.append_to(out);
        return;
    }
    if (e.primary == Primary::plain && e.wrapper == Wrapper::quoted_attr) {
        // The plain primary copies the text unchanged, so escaping straight into `out` is
        // the same bytes as the general path below without the scratch copy.
        if (v.is_string()) html_escape(out, v.as_string());
        else if (v.is_safe_html()) html_escape(out, v.as_safe_html().str());
        else if (v.is_int() || v.is_null() || v.is_bool()) v.append_to(out);  // no specials
        else html_escape(out, v.to_string());
        return;
    }
    if (e.wrapper == Wrapper::none) {
        apply_primary(out, v, e.primary);
        return;
    }
    // One scratch buffer per thread: attribute outputs are the common case in a page.
    thread_local std::string inner;
    inner.clear();
    apply_primary(inner, v, e.primary);
    if (e.wrapper == Wrapper::quoted_attr) html_escape(out, inner);
    else unquoted_attr_escape(out, inner);
}

bool plan_output(Context& c, Escaper& e, std::string& error) {
    e.wrapper = c.delim == Delim::none ? Wrapper::none
                : c.delim == Delim::space ? Wrapper::unquoted_attr : Wrapper::quoted_attr;
    switch (c.state) {
        case State::text: e.primary = Primary::html; return true;
        case State::raw_text: e.primary = Primary::html_always; return true;
        case State::before_value:
            // `<a href={{x}}>`: an unquoted value starts here.
            c.delim = Delim::space;
            c.state = c.attr == AttrKind::url ? State::url
                      : c.attr == AttrKind::js ? State::js
                      : c.attr == AttrKind::css ? State::css : State::attr_value;
            c.url_part = UrlPart::start;
            c.js_ctx = JsCtx::regexp;
            return plan_output(c, e, error);
        case State::attr_value:
            // srcdoc holds a document: escape once for it, once more for the attribute.
            e.primary = c.attr == AttrKind::html ? Primary::html_always : Primary::plain;
            return true;
        case State::url:
            e.primary = c.url_part == UrlPart::start ? Primary::url_filter
                        : c.url_part == UrlPart::pre_query ? Primary::url_strict : Primary::url_query;
            if (c.url_part == UrlPart::start) c.url_part = UrlPart::pre_query;
            return true;
        case State::js:
            e.primary = Primary::js_value;
            c.js_ctx = JsCtx::div_op;
            return true;
        case State::js_dq_str:
        case State::js_sq_str: e.primary = Primary::js_string; return true;
        case State::css: e.primary = Primary::css_value; return true;
        case State::css_dq_str:
        case State::css_sq_str: e.primary = Primary::css_string; return true;
        case State::tag_open:
        case State::tag_name: error = "output in a tag name is not allowed"; return false;
        case State::tag:
        case State::attr_name:
        case State::after_name: error = "output in an attribute name is not allowed"; return false;
        case State::html_comment:
        case State::bogus_comment: error = "output inside an HTML comment is not allowed"; return false;
        case State::js_template: error = "output inside a JS template literal is not allowed"; return false;
        case State::js_regexp: error = "output inside a JS regular expression is not allowed"; return false;
        case State::js_line_comment:
        case State::js_block_comment:
        case State::css_comment: error = "output inside a JS or CSS comment is not allowed"; return false;
    }
    error = "output in an unknown context";
    return false;
}

}  // namespace bulwark::tmpl::detail
