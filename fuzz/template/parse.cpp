// Fuzz the template lexer, parser, escaper and renderer: any source must load or fail
// cleanly, and a loaded template must render or fail cleanly.
#include <bulwark/template.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace bulwark::tmpl;
    static Environment* env = [] {
        Config cfg;
        cfg.limits.max_output_bytes = 1 << 16;
        cfg.limits.max_loop_iterations = 10000;
        auto* e = new Environment(cfg);
        e->add_source("base.html", "<title>{% block t %}{% endblock %}</title>{% block b %}{% endblock %}");
        e->add_source("inc.html", "<i>{{ x }}</i>");
        return e;
    }();
    auto t = env->from_string(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.html");
    if (!t) return 0;
    Map ctx{{"x", Value("<\"'&>")}, {"xs", Value(List{Value(1), Value("a"), Value(Map{{"k", Value(2)}})})},
            {"m", Value(Map{{"a", Value(1)}})}};
    auto out = t->render(ctx, {.csp_nonce = "n", .csrf_token = "c"});
    (void)out;
    return 0;
}
