// context.hpp: the escaping context at a point of a template's output (Go's context.go).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::tmpl::detail {

// State: which language the browser is parsing at this byte.
enum class State : std::uint8_t {
    text,          // HTML text between tags
    tag_open,      // just after '<': output here would make a tag name
    tag_name,      // inside a tag name
    tag,           // inside a tag, before an attribute name
    attr_name,     // inside an attribute name
    after_name,    // after an attribute name, before '='
    before_value,  // after '=', before the value
    attr_value,    // inside a plain attribute value (attr kind none or html)
    url,           // inside a URL attribute value
    js,            // JS code (script element or event handler)
    js_dq_str,
    js_sq_str,
    js_template,   // `...`: refused
    js_regexp,     // refused
    js_line_comment,
    js_block_comment,
    css,
    css_dq_str,
    css_sq_str,
    css_comment,
    raw_text,      // RCDATA / raw text element content (title, textarea, xmp, iframe...)
    html_comment,  // <!-- ... -->
    bogus_comment, // <! ... >, <? ... >
};

// Delim: how the current attribute value ends.
enum class Delim : std::uint8_t { none, double_quote, single_quote, space };
// AttrKind: what the current attribute's value means.
enum class AttrKind : std::uint8_t { none, url, js, css, html };
// UrlPart: where in a URL we are.
enum class UrlPart : std::uint8_t { start, pre_query, query };
// Element: the raw-text or RCDATA element whose end tag ends the current content.
enum class Element : std::uint8_t { none, script, style, textarea, title, xmp, iframe, noembed,
                                    noframes, noscript, plaintext };
// JsCtx: whether a '/' starts a regexp or is a division.
enum class JsCtx : std::uint8_t { regexp, div_op };

struct Context {
    State state = State::text;
    Delim delim = Delim::none;
    AttrKind attr = AttrKind::none;
    UrlPart url_part = UrlPart::start;
    Element element = Element::none;
    JsCtx js_ctx = JsCtx::regexp;
    friend bool operator==(const Context&, const Context&) = default;
};

std::string describe(const Context& c);

// Transition runs the state machine over literal template text. On failure it returns
// false and sets `error` (e.g. a '=' where an attribute name is expected).
bool transition(Context& c, std::string_view text, std::string& error);

// Join merges the end contexts of branches; returns false if they cannot be merged.
bool join(const Context& a, const Context& b, Context& out);

Element classify_element(std::string_view lower_name);
AttrKind classify_attr(std::string_view lower_name);

}  // namespace bulwark::tmpl::detail
