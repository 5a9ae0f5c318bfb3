// The audit's parsers for what an audited site sends back. The site is untrusted and may be
// hostile or broken, so each parser reads a bounded prefix, skips what it does not understand
// and never throws: a garbled header reads as "absent", which the checks then report.
// Cookie attributes follow RFC 6265bis section 5.6, CSP the directive grammar of CSP Level 3
// section 2.2, HSTS RFC 6797 section 6.1; forms are found by a small HTML tag scanner (not a
// full HTML5 parser: it only has to find <form> and <input> tags and their attributes).
#include <algorithm>

#include "audit.hpp"

namespace bulwark::cli::audit {
namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// split_once cuts `s` at the first `sep`; the rest is empty when there is none.
std::pair<std::string_view, std::string_view> split_once(std::string_view s, char sep) noexcept {
    const auto at = s.find(sep);
    if (at == std::string_view::npos) return {s, {}};
    return {s.substr(0, at), s.substr(at + 1)};
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

// decode_entities turns the few character references a token or URL attribute may carry back
// into bytes; any other '&' stays as it is.
std::string decode_entities(std::string_view s) {
    static const std::pair<std::string_view, char> kEntities[] = {{"&amp;", '&'},  {"&quot;", '"'},
                                                                  {"&#39;", '\''}, {"&#x27;", '\''},
                                                                  {"&lt;", '<'},   {"&gt;", '>'}};
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        bool matched = false;
        if (s[i] == '&') {
            for (const auto& [entity, c] : kEntities)
                if (s.substr(i, entity.size()) == entity) {
                    out += c;
                    i += entity.size();
                    matched = true;
                    break;
                }
        }
        if (!matched) out += s[i++];
    }
    return out;
}

using Attributes = std::vector<std::pair<std::string, std::string>>;

// read_tag reads the tag that starts at html[pos] == '<': its lower-cased name (with a leading
// '/' for an end tag) and attributes. `pos` ends after the '>' (or at the end of the text).
std::string read_tag(std::string_view html, std::size_t& pos, Attributes& attributes) {
    attributes.clear();
    std::size_t i = pos + 1;
    std::string name;
    if (i < html.size() && html[i] == '/') name += html[i++];
    while (i < html.size() && !is_space(html[i]) && html[i] != '>' && html[i] != '/' &&
           name.size() < 32)
        name += to_lower(html[i++]);
    while (i < html.size() && html[i] != '>') {
        if (is_space(html[i]) || html[i] == '/') {
            ++i;
            continue;
        }
        std::string attribute;
        while (i < html.size() && !is_space(html[i]) && html[i] != '=' && html[i] != '>' &&
               html[i] != '/') {
            if (attribute.size() < 64) attribute += to_lower(html[i]);
            ++i;
        }
        while (i < html.size() && is_space(html[i])) ++i;
        std::string_view value;
        if (i < html.size() && html[i] == '=') {
            ++i;
            while (i < html.size() && is_space(html[i])) ++i;
            if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
                const char quote = html[i++];
                const auto end = html.find(quote, i);
                const auto stop = end == std::string_view::npos ? html.size() : end;
                value = html.substr(i, stop - i);
                i = end == std::string_view::npos ? html.size() : end + 1;
            } else {
                const auto start = i;
                while (i < html.size() && !is_space(html[i]) && html[i] != '>') ++i;
                value = html.substr(start, i - start);
            }
        }
        if (!attribute.empty() && attributes.size() < 64)
            attributes.emplace_back(std::move(attribute),
                                    decode_entities(value.substr(0, kMaxAttributeValue)));
    }
    pos = i < html.size() ? i + 1 : html.size();
    return name;
}

std::string attribute_of(const Attributes& attributes, std::string_view name) {
    for (const auto& [k, v] : attributes)
        if (k == name) return v;
    return {};
}

}  // namespace

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = to_lower(c);
    return out;
}

std::string printable(std::string_view untrusted, std::size_t max) {
    std::string out;
    for (char c : untrusted.substr(0, max)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f) ? '?' : c;
    }
    if (untrusted.size() > max) out += "...";
    return out;
}

std::optional<SetCookie> parse_set_cookie(std::string_view untrusted_value) {
    std::string_view rest = untrusted_value.substr(0, kMaxHeaderValue);
    auto [pair, attributes] = split_once(rest, ';');
    auto [name, value] = split_once(pair, '=');
    if (pair.find('=') == std::string_view::npos || trim(name).empty()) return std::nullopt;
    SetCookie cookie;
    cookie.name = std::string(trim(name));
    cookie.value = std::string(trim(value));
    for (std::size_t n = 0; !attributes.empty() && n < kMaxCookieAttributes; ++n) {
        auto [attribute, tail] = split_once(attributes, ';');
        attributes = tail;
        auto [key, val] = split_once(attribute, '=');
        key = trim(key);
        val = trim(val);
        if (iequals(key, "secure"))
            cookie.secure = true;
        else if (iequals(key, "httponly"))
            cookie.http_only = true;
        else if (iequals(key, "samesite"))
            cookie.same_site = lower(val.substr(0, 16));
        else if (iequals(key, "path"))
            cookie.path = std::string(val.substr(0, 256));
        else if (iequals(key, "domain"))
            cookie.has_domain = true;
    }
    return cookie;
}

CspPolicy parse_csp(std::string_view untrusted_value) {
    CspPolicy policy;
    // A comma separates policies in one field (CSP3 2.2.2); the first one is read.
    std::string_view rest = split_once(untrusted_value.substr(0, kMaxHeaderValue), ',').first;
    while (!rest.empty() && policy.size() < kMaxDirectives) {
        auto [directive, tail] = split_once(rest, ';');
        rest = tail;
        directive = trim(directive);
        std::vector<std::string> tokens;
        std::size_t i = 0;
        while (i < directive.size() && tokens.size() <= kMaxSources) {
            while (i < directive.size() && is_space(directive[i])) ++i;
            const auto start = i;
            while (i < directive.size() && !is_space(directive[i])) ++i;
            if (i > start) tokens.emplace_back(directive.substr(start, i - start));
        }
        if (tokens.empty()) continue;
        std::string name = lower(tokens.front());
        const bool valid_name = std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        });
        // A repeated directive is ignored by browsers (CSP3 2.2.1 step 4.3): first one wins.
        if (!valid_name || csp_sources(policy, name) != nullptr) continue;
        std::vector<std::string> sources;
        for (std::size_t t = 1; t < tokens.size(); ++t)
            sources.push_back(tokens[t].front() == '\'' ? lower(tokens[t]) : tokens[t]);
        policy.emplace_back(std::move(name), std::move(sources));
    }
    return policy;
}

const std::vector<std::string>* csp_sources(const CspPolicy& policy, std::string_view directive) {
    for (const auto& [name, sources] : policy)
        if (name == directive) return &sources;
    return nullptr;
}

Hsts parse_hsts(std::string_view untrusted_value) {
    Hsts hsts;
    std::string_view rest = untrusted_value.substr(0, kMaxHeaderValue);
    for (std::size_t n = 0; !rest.empty() && n < 16; ++n) {
        auto [directive, tail] = split_once(rest, ';');
        rest = tail;
        auto [key, value] = split_once(directive, '=');
        key = trim(key);
        value = trim(value);
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (iequals(key, "max-age")) {
            // RFC 6797 6.1.1: delta-seconds; more than 12 digits is not a sane lifetime.
            const bool digits = !value.empty() && value.size() <= 12 &&
                                std::all_of(value.begin(), value.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
            if (digits) hsts.max_age = std::stoll(std::string(value));
        } else if (iequals(key, "includesubdomains")) {
            hsts.include_subdomains = true;
        } else if (iequals(key, "preload")) {
            hsts.preload = true;
        }
    }
    return hsts;
}

std::vector<Form> find_forms(std::string_view untrusted_html) {
    const std::string_view html = untrusted_html.substr(0, kMaxBody);
    std::vector<Form> forms;
    bool in_form = false;
    Attributes attributes;
    std::size_t pos = 0;
    while (pos < html.size()) {
        const auto open = html.find('<', pos);
        if (open == std::string_view::npos) break;
        if (html.substr(open, 4) == "<!--") {
            const auto end = html.find("-->", open + 4);
            pos = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        pos = open;
        const std::string tag = read_tag(html, pos, attributes);
        if (tag == "form") {
            if (forms.size() >= kMaxForms) break;
            Form form;
            form.method = lower(attribute_of(attributes, "method"));
            if (form.method.empty()) form.method = "get";
            form.action = attribute_of(attributes, "action");
            forms.push_back(std::move(form));
            in_form = true;
        } else if (tag == "/form") {
            in_form = false;
        } else if (in_form &&
                   (tag == "input" || tag == "textarea" || tag == "select" || tag == "button")) {
            Form& form = forms.back();
            if (form.hidden.size() + form.fields.size() >= kMaxFormInputs) continue;
            const std::string name = attribute_of(attributes, "name");
            if (name.empty()) continue;
            if (tag == "input" && lower(attribute_of(attributes, "type")) == "hidden")
                form.hidden.emplace_back(name, attribute_of(attributes, "value"));
            else
                form.fields.push_back(name);
        }
    }
    return forms;
}

}  // namespace bulwark::cli::audit
