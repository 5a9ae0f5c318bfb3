// The Content-Security-Policy builder. Validation happens when a directive is written, so a
// policy that exists can always be rendered into one well-formed header line.
#include <bulwark/headers.hpp>

#include <algorithm>

namespace bulwark::headers {
namespace {

void check_directive(std::string_view name) {
    const bool ok = !name.empty() && name.size() <= 64 &&
                    std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
    if (!ok) throw ConfigError("CSP: '" + std::string(name) + "' is not a directive name");
}

// A source list item is a single token (CSP3 §2.3.1): no separators, no whitespace, no controls.
void check_source(std::string_view source) {
    const bool ok = !source.empty() && source.size() <= 1024 &&
                    std::none_of(source.begin(), source.end(), [](char c) {
                        const auto u = static_cast<unsigned char>(c);
                        return u <= 0x20 || u >= 0x7f || c == ';' || c == ',';
                    });
    if (!ok) throw ConfigError("CSP: '" + std::string(source) + "' is not a valid source expression");
}

}  // namespace

Csp Csp::strict() {
    Csp csp;
    csp.set("default-src", {"'self'"});
    csp.set("script-src", {std::string(kNonceSource), "'strict-dynamic'"});
    csp.set("style-src", {"'self'", std::string(kNonceSource)});
    csp.set("object-src", {"'none'"});
    csp.set("base-uri", {"'self'"});
    csp.set("frame-ancestors", {"'self'"});
    csp.set("form-action", {"'self'"});
    return csp;
}

Csp& Csp::set(std::string_view directive, std::vector<std::string> sources) {
    check_directive(directive);
    for (const auto& s : sources) check_source(s);
    for (auto& [name, list] : directives_) {
        if (name == directive) {
            list = std::move(sources);
            rebuild();
            return *this;
        }
    }
    directives_.emplace_back(std::string(directive), std::move(sources));
    rebuild();
    return *this;
}

Csp& Csp::add(std::string_view directive, std::string_view source) {
    check_directive(directive);
    check_source(source);
    for (auto& [name, list] : directives_) {
        if (name == directive) {
            if (std::find(list.begin(), list.end(), source) == list.end()) list.emplace_back(source);
            rebuild();
            return *this;
        }
    }
    directives_.emplace_back(std::string(directive), std::vector<std::string>{std::string(source)});
    rebuild();
    return *this;
}

Csp& Csp::remove(std::string_view directive) {
    std::erase_if(directives_, [&](const auto& d) { return d.first == directive; });
    rebuild();
    return *this;
}

// rebuild renders the policy once, at configuration time, as the text between the places where
// a nonce goes, so that render() on every response only joins a few strings.
void Csp::rebuild() {
    pieces_.assign(1, std::string());
    bool first = true;
    for (const auto& [name, list] : directives_) {
        if (!first) pieces_.back() += "; ";
        first = false;
        pieces_.back() += name;
        for (const auto& s : list) {
            if (s == kNonceSource) {
                pieces_.emplace_back();
                continue;
            }
            pieces_.back() += ' ';
            pieces_.back() += s;
        }
    }
}

Csp& Csp::report_uri(std::string_view uri) { return set("report-uri", {std::string(uri)}); }
Csp& Csp::report_to(std::string_view group) { return set("report-to", {std::string(group)}); }

const std::vector<std::string>* Csp::sources(std::string_view directive) const {
    for (const auto& [name, list] : directives_)
        if (name == directive) return &list;
    return nullptr;
}

std::string_view Csp::header_name() const noexcept {
    return mode_ == CspMode::report_only ? "Content-Security-Policy-Report-Only" : "Content-Security-Policy";
}

std::string Csp::render(std::string_view nonce) const {
    std::string out;
    if (pieces_.empty()) return out;
    std::size_t size = 0;
    for (const auto& p : pieces_) size += p.size() + nonce.size() + 9;
    out.reserve(size);
    out += pieces_.front();
    for (std::size_t i = 1; i < pieces_.size(); ++i) {
        // An empty nonce drops the source with its separating space, never "'nonce-'".
        if (!nonce.empty()) {
            out += " 'nonce-";
            out += nonce;
            out += '\'';
        }
        out += pieces_[i];
    }
    return out;
}

}  // namespace bulwark::headers
