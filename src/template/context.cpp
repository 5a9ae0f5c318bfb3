// context.cpp: naming contexts for error messages, joining branch contexts, and the element
// and attribute classification tables (Go's context.go and attr.go).
#include "context.hpp"

#include <array>

namespace bulwark::tmpl::detail {

std::string describe(const Context& c) {
    static constexpr std::array<const char*, 23> kStates = {
        "HTML text", "tag open", "tag name", "tag", "attribute name", "after attribute name",
        "before attribute value", "attribute value", "URL", "JS", "JS double-quoted string",
        "JS single-quoted string", "JS template literal", "JS regexp", "JS line comment",
        "JS block comment", "CSS", "CSS double-quoted string", "CSS single-quoted string",
        "CSS comment", "RCDATA/raw text", "HTML comment", "bogus comment"};
    auto index = static_cast<std::size_t>(c.state);
    std::string out = index < kStates.size() ? kStates[index] : "?";
    if (c.delim != Delim::none) out += " in attribute value";
    return out;
}

namespace {
// A tag that ends right after an attribute name (`<input {% if c %}checked{% endif %}>`) is
// the same, for what follows, as a tag between attributes; transition() refuses a following
// '=' in tag state, so the merge never hides an attribute value.
Context nudge_for_join(Context c) {
    if (c.state == State::attr_name || c.state == State::after_name) {
        c.state = State::tag;
        c.attr = AttrKind::none;
    }
    return c;
}
}  // namespace

bool join(const Context& a, const Context& b, Context& out) {
    if (a == b) {
        out = a;
        return true;
    }
    Context na = nudge_for_join(a);
    Context nb = nudge_for_join(b);
    if (na == nb) {
        out = na;
        return true;
    }
    // JS code differing only in regexp/division expectation: Go picks the unknown context
    // and refuses a following '/'; we refuse the join instead.
    return false;
}

Element classify_element(std::string_view n) {
    if (n == "script") return Element::script;
    if (n == "style") return Element::style;
    if (n == "textarea") return Element::textarea;
    if (n == "title") return Element::title;
    if (n == "xmp") return Element::xmp;
    if (n == "iframe") return Element::iframe;
    if (n == "noembed") return Element::noembed;
    if (n == "noframes") return Element::noframes;
    if (n == "noscript") return Element::noscript;
    if (n == "plaintext") return Element::plaintext;
    return Element::none;
}

AttrKind classify_attr(std::string_view n) {
    // Namespaced and data- attributes are judged by their local part (Go's attrType).
    if (auto colon = n.find(':'); colon != std::string_view::npos) {
        if (n.substr(0, colon) == "xmlns") return AttrKind::url;
        n = n.substr(colon + 1);
    }
    if (n.starts_with("data-")) n.remove_prefix(5);
    if (n.starts_with("on")) return AttrKind::js;
    if (n == "style") return AttrKind::css;
    if (n == "srcdoc") return AttrKind::html;
    static constexpr std::array<std::string_view, 19> kUrlAttrs = {
        "href", "src", "action", "formaction", "cite", "background", "poster", "data",
        "codebase", "longdesc", "usemap", "manifest", "icon", "profile", "classid", "archive",
        "srcset", "ping", "lowsrc"};
    for (auto u : kUrlAttrs) {
        if (n == u) return AttrKind::url;
    }
    if (n.find("src") != std::string_view::npos || n.find("uri") != std::string_view::npos ||
        n.find("url") != std::string_view::npos)
        return AttrKind::url;
    return AttrKind::none;
}

}  // namespace bulwark::tmpl::detail
