// xss_test.cpp: every vector of xss_vectors.txt through every context of xss_support.hpp.
// Checks are on output structure, not on exact strings: the page parsed by gumbo (as a
// browser would) must have the same elements and attributes as with a harmless value, URL
// attributes must not carry a code scheme, and script values must be JSON that reads back.
#include "xss_support.hpp"

#include <bulwark/sanitize.hpp>
#include <bulwark/template.hpp>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <gumbo.h>

#include <algorithm>

namespace bulwark::tmpl {
namespace {

std::vector<std::string> vectors() {
    static const auto v = testing::load_vectors(BULWARK_SOURCE_DIR "/tests/template/xss_vectors.txt");
    return v;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// shape lists every element and attribute name, and the value of URL and event attributes'
// scheme class, in document order: what an injection would have to change.
void shape(const GumboNode* n, std::string& out, std::vector<std::string>& urls, std::vector<std::string>& scripts) {
    if (n->type != GUMBO_NODE_ELEMENT) return;
    const GumboElement& el = n->v.element;
    out += "<";
    out += el.tag == GUMBO_TAG_UNKNOWN ? std::string(el.original_tag.data, el.original_tag.length) : gumbo_normalized_tagname(el.tag);
    for (unsigned i = 0; i < el.attributes.length; ++i) {
        auto* a = static_cast<const GumboAttribute*>(el.attributes.data[i]);
        out += " ";
        out += a->name;
        std::string name = a->name;
        if (name == "href" || name == "src" || name == "action" || name == "formaction") urls.push_back(a->value);
    }
    if (el.tag == GUMBO_TAG_SCRIPT && el.children.length == 1)
        scripts.push_back(static_cast<const GumboNode*>(el.children.data[0])->v.text.text);
    out += ">";
    for (unsigned i = 0; i < el.children.length; ++i) shape(static_cast<const GumboNode*>(el.children.data[i]), out, urls, scripts);
}

struct Parsed {
    std::string shape;
    std::vector<std::string> urls;
    std::vector<std::string> scripts;
};

Parsed parse_page(const std::string& html) {
    Parsed p;
    GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    shape(out->root, p.shape, p.urls, p.scripts);
    gumbo_destroy_output(&kGumboDefaultOptions, out);
    return p;
}

bool dangerous_url(std::string url) {
    std::string squeezed;
    for (char ch : url) {
        if (static_cast<unsigned char>(ch) > 0x20) squeezed += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    auto colon = squeezed.find(':');
    if (colon == std::string::npos || squeezed.find_first_of("/?#") < colon) return false;
    std::string scheme = squeezed.substr(0, colon);
    if (scheme == "http" || scheme == "https" || scheme == "mailto" || scheme == "tel") return false;
    return !squeezed.starts_with("data:image/png;") && !squeezed.starts_with("data:image/gif;") &&
           !squeezed.starts_with("data:image/jpeg;") && !squeezed.starts_with("data:image/webp;");
}

std::string render(Environment& env, const testing::XssContext& c, const std::string& v) {
    std::string src = std::string("<!doctype html><html><head><script>function f(){}</script></head><body>") + c.before +
                      "{{ " + c.expr + " }}" + c.after + "</body></html>";
    auto t = env.get(c.name);
    if (!t) {
        env.add_source(c.name, src);
        t = env.get(c.name);
    }
    EXPECT_TRUE(t) << t.error().to_string();
    if (!t) return {};
    auto clean = sanitize(v);
    auto out = t->render({{"v", Value(v)}, {"clean", clean ? Value(*clean) : Value()}});
    EXPECT_TRUE(out);
    return out ? *out : std::string();
}

TEST(XssVectors, AtLeast150Vectors) { EXPECT_GE(vectors().size(), 150u); }

class XssContexts : public ::testing::TestWithParam<testing::XssContext> {};

TEST_P(XssContexts, NoVectorChangesPageStructureOrRunsCode) {
    const auto& c = GetParam();
    Environment env;
    bool sanitized = std::string(c.expr).starts_with("clean");
    Parsed benign = parse_page(render(env, c, "harmless"));
    for (const auto& v : vectors()) {
        std::string page = render(env, c, v);
        Parsed got = parse_page(page);
        SCOPED_TRACE("vector: " + v + "\npage: " + page);
        if (!sanitized) {
            EXPECT_EQ(got.shape, benign.shape) << "the value changed the element/attribute structure";
        } else {
            for (std::string bad : {"<script", "<style", "<iframe", "<svg", "<math", "<object", "<embed", " on", " style",
                                    " srcdoc", " formaction", "<form", "<base", "<meta", "<link", "<noscript", "<template"}) {
                EXPECT_EQ(got.shape.find(bad, got.shape.find("<body")), std::string::npos) << bad;
            }
        }
        for (const auto& url : got.urls) EXPECT_FALSE(dangerous_url(url)) << url;
        ASSERT_EQ(got.scripts.size(), benign.scripts.size());
        for (std::size_t i = 1; i < got.scripts.size(); ++i) {
            EXPECT_EQ(lower(got.scripts[i]).find("</script"), std::string::npos);
            if (std::string(c.name) == "script_value" || std::string(c.name) == "script_tojson") {
                // The value must be exactly one JSON literal that reads back as the vector.
                std::string body = got.scripts[i];
                std::string json = body.substr(body.find('=') + 1);
                json = json.substr(0, json.rfind(';'));
                boost::system::error_code ec;
                auto parsed = boost::json::parse(json, ec);
                ASSERT_FALSE(ec) << json;
                ASSERT_TRUE(parsed.is_string());
                EXPECT_EQ(std::string(parsed.as_string()), v);
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllContexts, XssContexts, ::testing::ValuesIn(testing::xss_contexts()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bulwark::tmpl
