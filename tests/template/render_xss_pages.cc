// render_xss_pages <outdir> [vectors.txt]: writes <outdir>/<context>.html, one page per
// escaping context with every XSS vector rendered through it, plus index.json listing the
// pages. A browser test loads each page and fails on any dialog or console 'XSS' marker.
#include "xss_support.hpp"

#include <bulwark/sanitize.hpp>
#include <bulwark/template.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

using namespace bulwark::tmpl;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: render_xss_pages <outdir> [xss_vectors.txt]\n";
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    auto vectors = testing::load_vectors(argc > 2 ? argv[2] : BULWARK_XSS_VECTORS);
    List items;
    for (const auto& v : vectors) {
        auto clean = sanitize(v);
        items.push_back(Map{{"v", Value(v)}, {"clean", clean ? Value(*clean) : Value("")}});
    }
    Environment env;
    std::string index = "[";
    for (const auto& c : testing::xss_contexts()) {
        std::string src = std::string("<!doctype html><html><head><meta charset=\"utf-8\"><title>") + c.name +
                          "</title><script>function f(){}</script></head><body>\n"
                          "{% for item in items %}{% set v = item.v %}{% set clean = item.clean %}"
                          "<section id=\"case-{{ loop.index }}\">" +
                          c.before + "{{ " + c.expr + " }}" + c.after + "</section>\n{% endfor %}</body></html>\n";
        auto t = env.from_string(src, c.name);
        if (!t) {
            std::cerr << t.error().to_string() << "\n";
            return 1;
        }
        auto page = t->render({{"items", Value(items)}});
        if (!page) {
            std::cerr << page.error().to_string() << "\n";
            return 1;
        }
        std::ofstream(dir / (std::string(c.name) + ".html"), std::ios::binary) << *page;
        index += std::string(index.size() > 1 ? "," : "") + "\"" + c.name + ".html\"";
    }
    std::ofstream(dir / "index.json") << index << "]\n";
    std::cout << "wrote " << testing::xss_contexts().size() << " pages with " << vectors.size() << " vectors to " << dir << "\n";
    return 0;
}
