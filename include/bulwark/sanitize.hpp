// bulwark/sanitize.hpp: SafeHtml, the one type that may reach a page unescaped, and the
// allowlist HTML sanitizer that makes it from untrusted markup.
//
// Security model: untrusted HTML is parsed by gumbo, a full HTML5 parser, so the sanitizer
// sees the tree a browser builds, not what a regex guesses. Only allowlisted HTML-namespace
// elements, attributes and URL schemes survive; svg/math and every raw-text element (script,
// style, iframe, noscript, textarea, template, ...) are dropped with their content, so the
// namespace-confusion and raw-text mutation-XSS tricks have nothing to work on. Comments go.
// Links get rel="noopener noreferrer". The output is re-parsed and must reproduce itself
// (sanitize(sanitize(x)) == sanitize(x)); if it would not, only the escaped text is kept.
//
//     auto clean = bulwark::tmpl::sanitize(untrusted_comment);   // Result<SafeHtml, ...>
//     if (clean) ctx["body"] = *clean;                             // {{ body|safe }}
//
// SafeHtml is made only by `sanitize`, `SafeHtml::trusted_from_literal` (a string literal in
// the program) and `SafeHtml::trusted_unchecked` (loud on purpose: grep for it in review).
#pragma once

#include <bulwark/result.hpp>

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace bulwark::tmpl {

// SafeHtml is markup the program vouches for. Templates print it unescaped in HTML text
// and escape it like any string everywhere else (attributes, URLs, scripts, styles).
class SafeHtml {
public:
    SafeHtml() = default;

    // trusted_from_literal wraps a string literal written in the program source.
    template <std::size_t N>
    static SafeHtml trusted_from_literal(const char (&literal)[N]) {
        return SafeHtml(std::string(literal, N - 1));
    }
    // trusted_unchecked wraps any runtime string without checking it. Every call is a
    // place where an XSS can enter; use `sanitize` for anything a user wrote.
    static SafeHtml trusted_unchecked(std::string html) { return SafeHtml(std::move(html)); }

    const std::string& str() const noexcept { return html_; }
    friend bool operator==(const SafeHtml&, const SafeHtml&) = default;

private:
    explicit SafeHtml(std::string html) : html_(std::move(html)) {}
    std::string html_;
};

// SanitizeError codes.
enum class SanitizeError {
    input_too_large,  // input longer than SanitizeConfig::max_input_bytes
    parse_failed,     // gumbo could not parse the input (out of memory)
};

// SanitizeConfig is the allowlist. The defaults follow bleach and DOMPurify: text
// formatting, lists, links, images, tables; no forms, media, styles, classes or ids.
struct SanitizeConfig {
    std::set<std::string, std::less<>> tags = {
        "a", "abbr", "acronym", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl",
        "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"};
    // "tag:attr" for one tag, "*:attr" for every allowed tag.
    std::set<std::string, std::less<>> attributes = {
        "*:title", "*:lang", "a:href", "abbr:title", "blockquote:cite", "del:cite", "ins:cite",
        "q:cite", "img:src", "img:alt", "img:width", "img:height", "ol:start", "td:colspan",
        "td:rowspan", "th:colspan", "th:rowspan", "th:scope"};
    // URL schemes allowed in href/src/cite; relative URLs are always allowed.
    std::set<std::string, std::less<>> url_schemes = {"http", "https", "mailto"};
    // Allow data:image/(png|gif|jpeg|webp);base64 in img src.
    bool allow_data_images = false;
    std::size_t max_input_bytes = 1 << 20;
};

// sanitize parses untrusted HTML as a <body> fragment and returns only what the config
// allows, serialized with every text and attribute escaped. Thread-safe; no shared state.
Result<SafeHtml, SanitizeError> sanitize(std::string_view untrusted_html,
                                         const SanitizeConfig& config = {});

}  // namespace bulwark::tmpl
