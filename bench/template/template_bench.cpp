// template_bench: a typical page (layout + extends + 100 escaped rows) and the sanitizer.
// Compare with bench/template/jinja_bench.py (same templates, same data) in the same run.
#include "templates.hpp"

#include <bulwark/sanitize.hpp>
#include <bulwark/template.hpp>

#include <benchmark/benchmark.h>

using namespace bulwark::tmpl;

static Map page_context() {
    List rows;
    for (int i = 0; i < 100; ++i) {
        rows.push_back(Map{{"id", Value(i)},
                           {"name", Value("User <" + std::to_string(i) + "> & co")},
                           {"email", Value("user" + std::to_string(i) + "@example.com")},
                           {"bio", Value("Writes \"quoted\" text and <b>tags</b> that must be escaped, at length.")}});
    }
    return {{"title", Value("All users")}, {"user", Value(Map{{"name", Value("Admin")}})}, {"rows", Value(rows)}};
}

static void BM_RenderPage(benchmark::State& state) {
    Environment env;
    env.add_source("layout.html", kLayout);
    env.add_source("page.html", kPage);
    auto t = env.get("page.html");
    if (!t) {
        state.SkipWithError(t.error().to_string().c_str());
        return;
    }
    Map ctx = page_context();
    std::size_t bytes = 0;
    for (auto _ : state) {
        auto out = t->render(ctx);
        bytes += out->size();
        benchmark::DoNotOptimize(out);
    }
    state.counters["renders/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_RenderPage);

static std::string comment_html() {
    std::string one =
        "<p>Hello <b>world</b>, see <a href=\"https://example.com/x?a=1&amp;b=2\" onclick=\"evil()\">this link</a>"
        " and <img src=x onerror=alert(1)> <script>alert(1)</script><em>emphasis</em></p>\n"
        "<ul><li>one</li><li>two <code>x &lt; y</code></li></ul><blockquote>quote</blockquote>\n";
    std::string s;
    while (s.size() < 64 * 1024) s += one;
    return s;
}

static void BM_Sanitize64KiB(benchmark::State& state) {
    std::string html = comment_html();
    for (auto _ : state) {
        auto out = sanitize(html);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * html.size()));
}
BENCHMARK(BM_Sanitize64KiB);

BENCHMARK_MAIN();
