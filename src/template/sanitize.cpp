// sanitize.cpp: the allowlist HTML sanitizer on gumbo. See sanitize.hpp for the model.
//
// Why a full parser and a fixed point: mutation XSS (noscript/svg/math/style confusion,
// https://cure53.de/fp170.pdf) lives in the gap between the tree a sanitizer checked and the
// tree the browser builds from the serialized output. We parse like a browser, emit only
// HTML-namespace allowlisted elements with every text and attribute escaped, then parse our
// own output again and require it to reproduce itself.
#include "escape.hpp"

#include <bulwark/sanitize.hpp>

#include <gumbo.h>

#include <string>
#include <vector>

namespace bulwark::tmpl {
namespace {

constexpr std::size_t kMaxDepth = 128;  // deeper elements are unwrapped, text is kept

// Elements whose content is dropped with them: code, styles, embedded documents, raw text,
// form controls and foreign (svg/math) content.
bool drop_with_content(std::string_view tag) {
    for (std::string_view t : {"script", "style", "iframe", "object", "embed", "noscript", "template",
                               "textarea", "title", "xmp", "noembed", "noframes", "plaintext", "select",
                               "option", "optgroup", "datalist", "frameset", "frame", "applet", "base",
                               "link", "meta", "head", "svg", "math", "canvas", "audio", "video", "param",
                               "source", "track", "input", "button", "keygen", "isindex", "portal"}) {
        if (tag == t) return true;
    }
    return false;
}

bool is_void(std::string_view tag) {
    for (std::string_view t : {"br", "hr", "img", "wbr", "col", "area"}) {
        if (tag == t) return true;
    }
    return false;
}

bool is_url_attr(std::string_view name) {
    return name == "href" || name == "src" || name == "cite" || name == "action" || name == "background" ||
           name == "poster" || name == "longdesc" || name == "usemap" || name == "formaction";
}

void escape_text(std::string& out, std::string_view s) {
    for (char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out += ch;
        }
    }
}

bool url_allowed(std::string_view v, std::string_view tag, std::string_view attr, const SanitizeConfig& cfg) {
    std::string scheme;
    std::size_t i = 0;
    while (i < v.size() && static_cast<unsigned char>(v[i]) <= 0x20) ++i;
    for (; i < v.size(); ++i) {
        char ch = v[i];
        if (ch == '/' || ch == '?' || ch == '#') return true;
        if (ch == ':') break;
        if (ch == '\t' || ch == '\n' || ch == '\r') continue;
        scheme += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    }
    if (i == v.size()) return true;  // relative
    if (cfg.url_schemes.contains(scheme)) return true;
    if (scheme == "data" && cfg.allow_data_images && tag == "img" && attr == "src") {
        std::string_view rest = v.substr(i + 1);
        for (std::string_view type : {"image/png;base64,", "image/gif;base64,", "image/jpeg;base64,", "image/webp;base64,"}) {
            if (rest.starts_with(type)) return rest.find_first_of("\"'<> ") == std::string_view::npos;
        }
    }
    return false;
}

std::string_view tag_name(const GumboElement& el) {
    if (el.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(el.tag);
    return {};  // unknown elements are never allowlisted: unwrap them
}

enum class Mode { tree, text };

// Serializer walks the tree with an explicit stack: input nesting is attacker-chosen, so
// recursion depth must not follow it.
class Serializer {
public:
    Serializer(const SanitizeConfig& cfg, std::string& out, Mode mode) : cfg_(cfg), out_(out), mode_(mode) {}

    void run(const GumboVector& top) {
        stack_.push_back({&top, 0, {}, 0});
        while (!stack_.empty()) {
            Frame& f = stack_.back();
            if (f.index == f.kids->length) {
                if (!f.close.empty()) {
                    out_ += "</";
                    out_ += f.close;
                    out_ += '>';
                }
                stack_.pop_back();
                continue;
            }
            const auto& n = *static_cast<const GumboNode*>(f.kids->data[f.index++]);
            std::size_t depth = f.depth;
            if (n.type == GUMBO_NODE_TEXT || n.type == GUMBO_NODE_WHITESPACE || n.type == GUMBO_NODE_CDATA)
                escape_text(out_, n.v.text.text);
            else if (n.type == GUMBO_NODE_ELEMENT || n.type == GUMBO_NODE_TEMPLATE)
                element(n.v.element, depth);
            // comments and anything else: dropped
        }
    }

private:
    struct Frame {
        const GumboVector* kids;
        unsigned index;
        std::string_view close;
        std::size_t depth;
    };

    void element(const GumboElement& el, std::size_t depth) {
        std::string_view tag = tag_name(el);
        if (el.tag_namespace != GUMBO_NAMESPACE_HTML || drop_with_content(tag)) return;
        // Unknown or disallowed elements are unwrapped (their text survives), as bleach's strip.
        if (mode_ == Mode::text || tag.empty() || !cfg_.tags.contains(tag) || depth >= kMaxDepth) {
            stack_.push_back({&el.children, 0, {}, depth});
            return;
        }
        out_ += '<';
        out_ += tag;
        std::string key;
        for (unsigned i = 0; i < el.attributes.length; ++i) {
            const auto& attr = *static_cast<const GumboAttribute*>(el.attributes.data[i]);
            if (attr.attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) continue;
            std::string_view name = attr.name;
            if (tag == "a" && name == "rel") continue;
            key.assign(tag).append(":").append(name);
            if (!cfg_.attributes.contains(key) && !cfg_.attributes.contains("*:" + std::string(name))) continue;
            std::string_view value = attr.value;
            if (is_url_attr(name) && !url_allowed(value, tag, name, cfg_)) continue;
            out_ += ' ';
            out_ += name;
            out_ += "=\"";
            detail::html_escape(out_, value);
            out_ += '"';
        }
        // Reverse tabnabbing: https://owasp.org/www-community/attacks/Reverse_Tabnabbing
        if (tag == "a") out_ += " rel=\"noopener noreferrer\"";
        out_ += '>';
        if (is_void(tag)) return;
        // The parser drops one newline right after <pre>; keep a leading one alive.
        if (tag == "pre" && el.children.length > 0) {
            const auto* first = static_cast<const GumboNode*>(el.children.data[0]);
            if ((first->type == GUMBO_NODE_TEXT || first->type == GUMBO_NODE_WHITESPACE) &&
                first->v.text.text[0] == '\n')
                out_ += '\n';
        }
        stack_.push_back({&el.children, 0, tag, depth + 1});
    }

    const SanitizeConfig& cfg_;
    std::string& out_;
    Mode mode_;
    std::vector<Frame> stack_;
};

bool pass(std::string_view in, const SanitizeConfig& cfg, std::string& out, Mode mode) {
    GumboOptions options = kGumboDefaultOptions;
    options.fragment_context = GUMBO_TAG_BODY;
    options.fragment_namespace = GUMBO_NAMESPACE_HTML;
    options.max_errors = 0;
    GumboOutput* parsed = gumbo_parse_with_options(&options, in.data(), in.size());
    if (parsed == nullptr) return false;
    const GumboNode* root = parsed->root;
    out.clear();
    if (root != nullptr && root->type == GUMBO_NODE_ELEMENT) {
        Serializer(cfg, out, mode).run(root->v.element.children);
    }
    gumbo_destroy_output(&options, parsed);
    return true;
}

}  // namespace

Result<SafeHtml, SanitizeError> sanitize(std::string_view untrusted_html, const SanitizeConfig& config) {
    if (untrusted_html.size() > config.max_input_bytes) return SanitizeError::input_too_large;
    std::string once, twice;
    if (!pass(untrusted_html, config, once, Mode::tree) || !pass(once, config, twice, Mode::tree))
        return SanitizeError::parse_failed;
    // A fixed point is what makes sanitize(sanitize(x)) == sanitize(x) true by construction.
    if (twice == once) return SafeHtml::trusted_unchecked(std::move(once));
    std::string thrice;
    if (!pass(twice, config, thrice, Mode::tree)) return SanitizeError::parse_failed;
    if (thrice == twice) return SafeHtml::trusted_unchecked(std::move(twice));
    std::string text;
    if (!pass(untrusted_html, config, text, Mode::text)) return SanitizeError::parse_failed;
    return SafeHtml::trusted_unchecked(std::move(text));
}

}  // namespace bulwark::tmpl
