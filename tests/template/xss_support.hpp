// xss_support.hpp: loads xss_vectors.txt and names the contexts every vector is rendered in.
// Shared by the unit tests and render_xss_pages (the browser test's page generator).
#pragma once

#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::tmpl::testing {

// expand_vector replaces the {NL}-style markers in one pass into a fresh string (in-place
// replace() trips GCC 12's -Wrestrict false positive in Release builds).
inline std::string expand_vector(std::string_view line) {
    static constexpr std::pair<std::string_view, std::string_view> kSubs[] = {
        {"{NL}", "\n"}, {"{CR}", "\r"}, {"{TAB}", "\t"}, {"{FF}", "\f"},
        {"{LS}", "\xE2\x80\xA8"}, {"{PS}", "\xE2\x80\xA9"}, {"{NUL}", std::string_view("\0", 1)}};
    std::string out;
    for (std::size_t i = 0; i < line.size();) {
        bool replaced = false;
        for (auto [from, to] : kSubs) {
            if (line.substr(i).starts_with(from)) {
                out += to;
                i += from.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) out += line[i++];
    }
    return out;
}

inline std::vector<std::string> load_vectors(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        out.push_back(expand_vector(line));
    }
    return out;
}

struct XssContext {
    const char* name;
    const char* before;  // literal text before the output
    const char* expr;    // the expression printed
    const char* after;   // literal text after it
};

// The contexts: each is `before {{ expr }} after` with `v` bound to the vector.
inline const std::vector<XssContext>& xss_contexts() {
    static const std::vector<XssContext> kContexts = {
        {"html_text", "<p>", "v", "</p>"},
        {"title_rcdata", "<title>", "v", "</title>"},
        {"textarea_rcdata", "<textarea>", "v", "</textarea>"},
        {"attr_double_quoted", "<div title=\"", "v", "\">x</div>"},
        {"attr_single_quoted", "<div title='", "v", "'>x</div>"},
        {"attr_unquoted", "<div title=", "v", ">x</div>"},
        {"url_href", "<a href=\"", "v", "\">x</a>"},
        {"url_href_unquoted", "<a href=", "v", ">x</a>"},
        {"url_img_src", "<img src=\"", "v", "\">"},
        {"url_form_action", "<form action=\"", "v", "\"><button>x</button></form>"},
        {"url_formaction", "<form><button formaction=\"", "v", "\">x</button></form>"},
        {"url_iframe_src", "<iframe src=\"", "v", "\"></iframe>"},
        {"url_path", "<a href=\"/user/", "v", "\">x</a>"},
        {"url_query", "<a href=\"/search?q=", "v", "\">x</a>"},
        {"event_handler_value", "<button onclick=\"f(", "v", ")\">x</button>"},
        {"event_handler_string", "<button onclick=\"f('", "v", "')\">x</button>"},
        {"script_value", "<script>var x = ", "v", ";</script>"},
        {"script_dq_string", "<script>var x = \"", "v", "\";</script>"},
        {"script_sq_string", "<script>var x = '", "v", "';</script>"},
        {"script_tojson", "<script>var x = ", "v|tojson", ";</script>"},
        {"attr_tojson", "<div data-x='", "v|tojson", "'>x</div>"},
        {"style_attr", "<div style=\"color: ", "v", "\">x</div>"},
        {"style_element", "<style>p { color: ", "v", "; }</style>"},
        {"style_string", "<style>p { font-family: \"", "v", "\"; }</style>"},
        {"iframe_srcdoc", "<iframe srcdoc=\"<p>", "v", "</p>\"></iframe>"},
        {"safe_filter_on_string", "<p>", "v|safe", "</p>"},
        {"sanitized_html", "<div>", "clean|safe", "</div>"},
    };
    return kContexts;
}

}  // namespace bulwark::tmpl::testing
