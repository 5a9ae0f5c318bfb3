// escape.hpp: the escapers, one per context, and the load-time choice between them
// (Go's escape.go plus html.go, js.go, css.go, url.go).
#pragma once

#include "context.hpp"

#include <bulwark/template.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::tmpl::detail {

// kFailsafe replaces a CSS value or an empty unquoted attribute that cannot be made safe;
// kBlockedUrl replaces a URL with a scheme that can run code.
inline constexpr std::string_view kFailsafe = "ZbulwarkZ";
inline constexpr std::string_view kBlockedUrl = "#blocked";

enum class Primary : std::uint8_t {
    refused,       // never rendered (an output the analysis did not reach)
    html,          // HTML text: SafeHtml passes, everything else is escaped
    html_always,   // RCDATA/raw text: SafeHtml escaped too
    plain,         // attribute value: the attribute wrapper does the escaping
    url_filter,    // start of a URL: scheme filter, then normalize
    url_strict,    // URL path after a prefix: normalize, ':' encoded too
    url_query,     // query or fragment: percent-encode all but unreserved
    js_value,      // JS code: a JSON literal
    js_string,     // inside a JS string literal
    css_value,     // CSS code: strict allowlist or the failsafe
    css_string,    // inside a CSS string
};
enum class Wrapper : std::uint8_t { none, quoted_attr, unquoted_attr };

struct Escaper {
    Primary primary = Primary::refused;
    Wrapper wrapper = Wrapper::none;
};

// plan_output chooses the escaper for an output in context `c` and advances `c` past it.
// Returns false with `error` set where output is refused.
bool plan_output(Context& c, Escaper& escaper, std::string& error);

// emit writes `v` escaped by `e`.
void emit(std::string& out, const Value& v, Escaper e);

void html_escape(std::string& out, std::string_view s);
void write_json(std::string& out, const Value& v, int depth = 0);
std::string url_encode(std::string_view s);

}  // namespace bulwark::tmpl::detail
