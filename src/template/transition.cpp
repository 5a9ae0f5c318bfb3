// transition.cpp: the state machine over a template's literal text (Go's transition.go).
// It is deliberately conservative: it only has to be right for template authors' markup,
// and whatever it cannot classify ends in a state where output is refused or escaped hard.
#include "context.hpp"

#include <cstdint>

namespace bulwark::tmpl::detail {
namespace {

constexpr auto npos = std::string_view::npos;

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r'; }
bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
bool is_ident(char ch) {
    return is_alpha(ch) || (ch >= '0' && ch <= '9') || ch == '_' || ch == '$' ||
           static_cast<unsigned char>(ch) >= 0x80;
}
char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch; }

std::string_view element_name(Element e) {
    switch (e) {
        case Element::script: return "script";
        case Element::style: return "style";
        case Element::textarea: return "textarea";
        case Element::title: return "title";
        case Element::xmp: return "xmp";
        case Element::iframe: return "iframe";
        case Element::noembed: return "noembed";
        case Element::noframes: return "noframes";
        case Element::noscript: return "noscript";
        default: return "";
    }
}

// find_end_tag finds "</name" (any case) followed by whitespace, '/', '>' or the end.
std::size_t find_end_tag(std::string_view s, std::size_t from, std::string_view name) {
    for (std::size_t i = s.find("</", from); i != npos; i = s.find("</", i + 1)) {
        std::size_t j = i + 2;
        if (j + name.size() > s.size()) continue;
        bool match = true;
        for (std::size_t k = 0; k < name.size(); ++k) {
            if (lower(s[j + k]) != name[k]) {
                match = false;
                break;
            }
        }
        if (!match) continue;
        std::size_t after = j + name.size();
        if (after == s.size() || is_space(s[after]) || s[after] == '/' || s[after] == '>') return i;
    }
    return npos;
}

// decode_attr decodes the character references a browser decodes in an attribute value
// before the JS/CSS/URL inside it is interpreted; only ASCII results matter here.
std::string decode_attr(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '&') {
            out += s[i];
            continue;
        }
        std::size_t semi = s.find(';', i);
        if (semi == npos || semi - i > 10) {
            out += s[i];
            continue;
        }
        std::string_view ref = s.substr(i + 1, semi - i - 1);
        long code = -1;
        if (ref.size() > 1 && ref[0] == '#') {
            bool hex = ref[1] == 'x' || ref[1] == 'X';
            code = 0;
            for (char ch : ref.substr(hex ? 2 : 1)) {
                int d = (ch >= '0' && ch <= '9')             ? ch - '0'
                        : hex && lower(ch) >= 'a' && lower(ch) <= 'f' ? lower(ch) - 'a' + 10
                                                                   : -1;
                if (d < 0 || code > 0x10FFFF) {
                    code = -1;
                    break;
                }
                code = code * (hex ? 16 : 10) + d;
            }
        } else if (ref == "quot") {
            code = '"';
        } else if (ref == "apos") {
            code = '\'';
        } else if (ref == "amp") {
            code = '&';
        } else if (ref == "lt") {
            code = '<';
        } else if (ref == "gt") {
            code = '>';
        } else if (ref == "colon") {
            code = ':';
        } else if (ref == "sol") {
            code = '/';
        }
        if (code > 0 && code < 0x80) {
            out += static_cast<char>(code);
            i = semi;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool is_regexp_keyword(std::string_view w) {
    for (std::string_view k : {"return", "typeof", "case", "do", "else", "in", "instanceof", "new",
                               "throw", "void", "delete", "yield", "await"}) {
        if (w == k) return true;
    }
    return false;
}

void js_transition(Context& c, std::string_view s) {
    std::size_t i = 0;
    bool in_class = false;  // inside [...] of a regexp
    while (i < s.size()) {
        char ch = s[i];
        switch (c.state) {
            case State::js:
                if (ch == '"') {
                    c.state = State::js_dq_str;
                } else if (ch == '\'') {
                    c.state = State::js_sq_str;
                } else if (ch == '`') {
                    c.state = State::js_template;
                } else if (ch == '/') {
                    char next = i + 1 < s.size() ? s[i + 1] : '\0';
                    if (next == '/') {
                        c.state = State::js_line_comment;
                        ++i;
                    } else if (next == '*') {
                        c.state = State::js_block_comment;
                        ++i;
                    } else if (c.js_ctx == JsCtx::regexp) {
                        c.state = State::js_regexp;
                        in_class = false;
                    } else {
                        c.js_ctx = JsCtx::regexp;
                    }
                } else if (is_ident(ch)) {
                    std::size_t start = i;
                    while (i + 1 < s.size() && is_ident(s[i + 1])) ++i;
                    c.js_ctx = is_regexp_keyword(s.substr(start, i + 1 - start)) ? JsCtx::regexp
                                                                                 : JsCtx::div_op;
                } else if (ch == ')' || ch == ']') {
                    c.js_ctx = JsCtx::div_op;
                } else if (!is_space(ch)) {
                    c.js_ctx = JsCtx::regexp;
                }
                ++i;
                break;
            case State::js_dq_str:
            case State::js_sq_str:
            case State::js_template: {
                char quote = c.state == State::js_dq_str ? '"' : c.state == State::js_sq_str ? '\'' : '`';
                if (ch == '\\') {
                    i += 2;
                    break;
                }
                if (ch == quote) {
                    c.state = State::js;
                    c.js_ctx = JsCtx::div_op;
                }
                ++i;
                break;
            }
            case State::js_regexp:
                if (ch == '\\') {
                    i += 2;
                    break;
                }
                if (ch == '[') in_class = true;
                else if (ch == ']') in_class = false;
                else if (ch == '/' && !in_class) {
                    c.state = State::js;
                    c.js_ctx = JsCtx::div_op;
                }
                ++i;
                break;
            case State::js_line_comment:
                if (ch == '\n' || ch == '\r') c.state = State::js;
                ++i;
                break;
            case State::js_block_comment:
                if (ch == '*' && i + 1 < s.size() && s[i + 1] == '/') {
                    c.state = State::js;
                    ++i;
                }
                ++i;
                break;
            default:
                return;
        }
    }
}

void css_transition(Context& c, std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        char ch = s[i];
        switch (c.state) {
            case State::css:
                if (ch == '"') c.state = State::css_dq_str;
                else if (ch == '\'') c.state = State::css_sq_str;
                else if (ch == '/' && i + 1 < s.size() && s[i + 1] == '*') {
                    c.state = State::css_comment;
                    ++i;
                }
                break;
            case State::css_dq_str:
            case State::css_sq_str:
                if (ch == '\\') ++i;
                else if (ch == (c.state == State::css_dq_str ? '"' : '\'')) c.state = State::css;
                break;
            case State::css_comment:
                if (ch == '*' && i + 1 < s.size() && s[i + 1] == '/') {
                    c.state = State::css;
                    ++i;
                }
                break;
            default:
                return;
        }
    }
}

void url_transition(Context& c, std::string_view s) {
    if (c.url_part == UrlPart::query) return;
    if (s.find_first_of("?#") != npos) {
        c.url_part = UrlPart::query;
    } else if (c.url_part == UrlPart::start) {
        for (char ch : s) {
            if (!is_space(ch)) {
                c.url_part = UrlPart::pre_query;
                break;
            }
        }
    }
}

void sub_transition(Context& c, std::string_view decoded) {
    switch (c.state) {
        case State::url: url_transition(c, decoded); break;
        case State::js: case State::js_dq_str: case State::js_sq_str: case State::js_template:
        case State::js_regexp: case State::js_line_comment: case State::js_block_comment:
            js_transition(c, decoded);
            break;
        case State::css: case State::css_dq_str: case State::css_sq_str: case State::css_comment:
            css_transition(c, decoded);
            break;
        default: break;
    }
}

void enter_value(Context& c) {
    switch (c.attr) {
        case AttrKind::url: c.state = State::url; c.url_part = UrlPart::start; break;
        case AttrKind::js: c.state = State::js; c.js_ctx = JsCtx::regexp; break;
        case AttrKind::css: c.state = State::css; break;
        default: c.state = State::attr_value; break;
    }
}

void enter_content(Context& c) {
    Element e = c.element;
    c = Context{};
    c.element = e;
    switch (e) {
        case Element::none: c.state = State::text; break;
        case Element::script: c.state = State::js; c.js_ctx = JsCtx::regexp; break;
        case Element::style: c.state = State::css; break;
        default: c.state = State::raw_text; break;
    }
}

// after_lt handles the text just after a '<' in HTML text.
std::size_t after_lt(Context& c, std::string_view t, std::size_t i) {
    if (i == t.size()) {
        c.state = State::tag_open;
        return i;
    }
    if (t.substr(i).starts_with("!--")) {
        c.state = State::html_comment;
        i += 3;
        if (t.substr(i).starts_with(">")) return c.state = State::text, i + 1;
        if (t.substr(i).starts_with("->")) return c.state = State::text, i + 2;
        return i;
    }
    bool end_tag = t[i] == '/';
    std::size_t name_start = end_tag ? i + 1 : i;
    if (name_start == t.size()) {
        c.state = State::tag_open;
        return name_start;
    }
    if (!is_alpha(t[name_start])) {
        if (t[i] == '!' || t[i] == '?' || end_tag) {
            c.state = State::bogus_comment;
            return name_start;
        }
        // A literal '<' in text. The state must say so: called in tag_open (a '<' that ended the
        // previous chunk), leaving the state unchanged would loop forever (found by the fuzzer).
        c.state = State::text;
        return i;
    }
    std::size_t j = name_start;
    std::string name;
    while (j < t.size() && !is_space(t[j]) && t[j] != '/' && t[j] != '>') name += lower(t[j++]);
    c.element = end_tag ? Element::none : classify_element(name);
    c.state = j == t.size() ? State::tag_name : State::tag;
    return j;
}

}  // namespace

bool transition(Context& c, std::string_view t, std::string& error) {
    std::size_t i = 0;
    while (i < t.size()) {
        switch (c.state) {
            case State::text: {
                std::size_t lt = t.find('<', i);
                if (lt == npos) return true;
                i = after_lt(c, t, lt + 1);
                break;
            }
            case State::tag_open:
                i = after_lt(c, t, i);
                break;
            case State::tag_name:
                while (i < t.size() && !is_space(t[i]) && t[i] != '/' && t[i] != '>') ++i;
                if (i < t.size()) c.state = State::tag;
                break;
            case State::tag: {
                while (i < t.size() && (is_space(t[i]) || t[i] == '/')) ++i;
                if (i == t.size()) return true;
                if (t[i] == '>') {
                    enter_content(c);
                    ++i;
                    break;
                }
                if (t[i] == '=') {
                    error = "'=' where an attribute name was expected";
                    return false;
                }
                std::string name;
                while (i < t.size() && !is_space(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=')
                    name += lower(t[i++]);
                c.attr = classify_attr(name);
                c.state = i == t.size() ? State::attr_name : State::after_name;
                break;
            }
            case State::attr_name:
                while (i < t.size() && !is_space(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=') ++i;
                if (i < t.size()) c.state = State::after_name;
                break;
            case State::after_name:
                while (i < t.size() && is_space(t[i])) ++i;
                if (i == t.size()) return true;
                if (t[i] == '=') {
                    c.state = State::before_value;
                    ++i;
                } else {
                    c.state = State::tag;
                    c.attr = AttrKind::none;
                }
                break;
            case State::before_value:
                while (i < t.size() && is_space(t[i])) ++i;
                if (i == t.size()) return true;
                if (t[i] == '>') {
                    c.state = State::tag;
                    c.attr = AttrKind::none;
                    break;
                }
                c.delim = t[i] == '"' ? Delim::double_quote : t[i] == '\'' ? Delim::single_quote : Delim::space;
                if (c.delim != Delim::space) ++i;
                enter_value(c);
                break;
            case State::raw_text: {
                if (c.element == Element::plaintext) return true;
                std::size_t end = find_end_tag(t, i, element_name(c.element));
                if (end == npos) return true;
                i = end + 2 + element_name(c.element).size();
                c = Context{};
                c.state = State::tag;
                break;
            }
            case State::html_comment: {
                std::size_t end = t.find("-->", i);
                if (end == npos) return true;
                c.state = State::text;
                i = end + 3;
                break;
            }
            case State::bogus_comment: {
                std::size_t end = t.find('>', i);
                if (end == npos) return true;
                c.state = State::text;
                i = end + 1;
                break;
            }
            default: {
                // Attribute values and script/style content: find where this value ends,
                // then run the value's own language over it.
                if (c.delim == Delim::none) {
                    std::string_view name = c.element == Element::style ? "style" : "script";
                    std::size_t end = find_end_tag(t, i, name);
                    sub_transition(c, t.substr(i, end == npos ? npos : end - i));
                    if (end == npos) return true;
                    c = Context{};
                    c.state = State::tag;
                    i = end + 2 + name.size();
                    break;
                }
                std::size_t end = c.delim == Delim::double_quote   ? t.find('"', i)
                                  : c.delim == Delim::single_quote ? t.find('\'', i)
                                                                   : t.find_first_of(" \t\n\f\r>", i);
                sub_transition(c, decode_attr(t.substr(i, end == npos ? npos : end - i)));
                if (end == npos) return true;
                i = c.delim == Delim::space ? end : end + 1;
                Element e = c.element;
                c = Context{};
                c.state = State::tag;
                c.element = e;
                break;
            }
        }
    }
    return true;
}

}  // namespace bulwark::tmpl::detail
