// The text format (names, escaping, values), histogram buckets, the registry's page, request
// metrics and concurrent updates.
#include <bulwark/metrics.hpp>

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace bm = bulwark::metrics;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(MetricsNames, MetricNameTable) {
    struct Case { const char* name; std::string_view value; bool ok; };
    const Case cases[] = {
        {"plain", "http_requests_total", true},
        {"colon", "job:rate5m", true},
        {"leading_underscore", "_x", true},
        {"leading_digit", "1x", false},
        {"empty", "", false},
        {"dash", "a-b", false},
        {"space", "a b", false},
        {"brace", "a{b}", false},
        {"newline", "a\nb", false},
        {"unicode", "caf\xc3\xa9", false},
    };
    for (const auto& c : cases) EXPECT_EQ(bm::valid_metric_name(c.value), c.ok) << c.name;
}

TEST(MetricsNames, LabelNameTable) {
    struct Case { const char* name; std::string_view value; bool ok; };
    const Case cases[] = {
        {"plain", "route", true},        {"underscore", "_x", true},  {"reserved", "__name__", false},
        {"colon", "a:b", false},         {"digit", "9a", false},      {"empty", "", false},
        {"quote", "a\"", false},         {"equals", "a=b", false},
    };
    for (const auto& c : cases) EXPECT_EQ(bm::valid_label_name(c.value), c.ok) << c.name;
}

TEST(MetricsFormat, LabelValueEscapingAttackTable) {
    struct Case { const char* name; std::string_view in; std::string_view out; };
    const Case cases[] = {
        {"plain", "GET /items/<id>", "GET /items/<id>"},
        {"quote_closes_value", "x\"} 1e9\nfake_total 1", "x\\\"} 1e9\\nfake_total 1"},
        {"backslash", "a\\b", "a\\\\b"},
        {"backslash_before_quote", "\\\"", "\\\\\\\""},
        {"newline_forges_line", "a\nb", "a\\nb"},
        {"utf8_kept", "caf\xc3\xa9", "caf\xc3\xa9"},
    };
    for (const auto& c : cases) EXPECT_EQ(bm::escape_label_value(c.in), c.out) << c.name;
}

TEST(MetricsFormat, HelpEscaping) {
    EXPECT_EQ(bm::escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

TEST(MetricsFormat, ValueTable) {
    struct Case { const char* name; double in; std::string_view out; };
    const Case cases[] = {
        {"zero", 0, "0"},
        {"integer", 42, "42"},
        {"large_integer", 1e15, "1000000000000000"},
        {"fraction", 0.005, "0.005"},
        {"quarter", 2.5, "2.5"},
        {"inf", std::numeric_limits<double>::infinity(), "+Inf"},
        {"minus_inf", -std::numeric_limits<double>::infinity(), "-Inf"},
        {"nan", std::numeric_limits<double>::quiet_NaN(), "NaN"},
    };
    for (const auto& c : cases) EXPECT_EQ(bm::format_value(c.in), c.out) << c.name;
}

TEST(MetricsFormat, ExpositionWritesFamilyAndSamples) {
    bm::Exposition out;
    out.family("app_x_total", "Line one\nline two", bm::Type::counter);
    out.sample("app_x_total", {{"a", "1"}, {"b", "q\"uote"}}, 3);
    out.sample("app_x_total", {}, 4);
    EXPECT_EQ(out.text(),
              "# HELP app_x_total Line one\\nline two\n"
              "# TYPE app_x_total counter\n"
              "app_x_total{a=\"1\",b=\"q\\\"uote\"} 3\n"
              "app_x_total 4\n");
}

TEST(MetricsFormat, ExpositionRefusesBadNames) {
    bm::Exposition out;
    EXPECT_THROW(out.family("bad name", "", bm::Type::counter), std::invalid_argument);
    EXPECT_THROW(out.sample("ok", {{"bad-label", "v"}}, 1), std::invalid_argument);
    EXPECT_THROW(out.sample("ok", {{"__name__", "v"}}, 1), std::invalid_argument);
}

TEST(MetricsHistogram, BucketBoundariesAreInclusive) {
    const double bounds[] = {0.01, 0.1, 1.0};
    bm::Histogram h(bounds);
    h.observe_seconds(0.01);   // == first bound: first bucket (le is "less or equal")
    h.observe_seconds(0.0101);  // just above: second
    h.observe_seconds(0.1);    // second
    h.observe_seconds(1.0);    // third
    h.observe_seconds(5);      // +Inf
    h.observe_seconds(0);      // first
    const auto s = h.snapshot();
    ASSERT_EQ(s.cumulative.size(), 4u);
    EXPECT_EQ(s.cumulative[0], 2u);
    EXPECT_EQ(s.cumulative[1], 4u);
    EXPECT_EQ(s.cumulative[2], 5u);
    EXPECT_EQ(s.cumulative[3], 6u);
    EXPECT_EQ(s.count, 6u);
    EXPECT_NEAR(s.sum_seconds, 6.1201, 1e-6);
}

TEST(MetricsHistogram, NanosecondsLandInTheRightBucket) {
    bm::Histogram h;  // kLatencyBuckets
    h.observe(500us);   // <= 1 ms
    h.observe(1ms);     // <= 1 ms
    h.observe(3ms);     // <= 5 ms
    h.observe(20s);     // +Inf
    const auto s = h.snapshot();
    EXPECT_EQ(s.cumulative[0], 2u);  // le=0.001
    EXPECT_EQ(s.cumulative[1], 2u);  // le=0.0025
    EXPECT_EQ(s.cumulative[2], 3u);  // le=0.005
    EXPECT_EQ(s.cumulative[bm::kLatencyBuckets.size() - 1], 3u);  // le=10
    EXPECT_EQ(s.cumulative.back(), 4u);
}

TEST(MetricsHistogram, RefusesBadBounds) {
    const double unsorted[] = {1.0, 0.5};
    const double equal[] = {1.0, 1.0};
    const double inf[] = {1.0, std::numeric_limits<double>::infinity()};
    EXPECT_THROW(bm::Histogram{unsorted}, std::invalid_argument);
    EXPECT_THROW(bm::Histogram{equal}, std::invalid_argument);
    EXPECT_THROW(bm::Histogram{inf}, std::invalid_argument);
}

TEST(MetricsHistogram, RendersCumulativeBucketsSumAndCount) {
    const double bounds[] = {0.5, 1};
    bm::Histogram h(bounds);
    h.observe_seconds(0.25);
    h.observe_seconds(2);
    bm::Exposition out;
    out.family("t_seconds", "T.", bm::Type::histogram);
    const bm::Label labels[] = {{"route", "GET /"}};
    out.histogram("t_seconds", labels, h);
    EXPECT_EQ(out.text(),
              "# HELP t_seconds T.\n# TYPE t_seconds histogram\n"
              "t_seconds_bucket{route=\"GET /\",le=\"0.5\"} 1\n"
              "t_seconds_bucket{route=\"GET /\",le=\"1\"} 1\n"
              "t_seconds_bucket{route=\"GET /\",le=\"+Inf\"} 2\n"
              "t_seconds_sum{route=\"GET /\"} 2.25\n"
              "t_seconds_count{route=\"GET /\"} 2\n");
}

TEST(MetricsRegistry, SameNameAndLabelsIsOneMetric) {
    bm::Registry r;
    auto& a = r.counter("x_total", "X.", {{"k", "1"}});
    auto& b = r.counter("x_total", "X.", {{"k", "1"}});
    auto& c = r.counter("x_total", "X.", {{"k", "2"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &c);
    EXPECT_THROW(r.histogram("x_total", "X."), std::invalid_argument);
    EXPECT_THROW(r.counter("bad-name", "X."), std::invalid_argument);
    EXPECT_THROW(r.counter("y_total", "Y.", {{"le", "1"}}), std::invalid_argument);
}

TEST(MetricsRegistry, RenderGroupsFamiliesAndRunsCollectors) {
    bm::Registry r;
    r.counter("a_total", "A.", {{"k", "1"}}).add(2);
    r.counter("b_total", "B.").add();
    r.counter("a_total", "A.", {{"k", "2"}}).add(5);
    r.add_collector([](bm::Exposition& out) {
        out.family("c", "C.", bm::Type::gauge);
        out.sample("c", {}, 7);
    });
    EXPECT_EQ(r.render(),
              "# HELP a_total A.\n# TYPE a_total counter\n"
              "a_total{k=\"1\"} 2\na_total{k=\"2\"} 5\n"
              "# HELP b_total B.\n# TYPE b_total counter\nb_total 1\n"
              "# HELP c C.\n# TYPE c gauge\nc 7\n");
}

TEST(MetricsRequests, CountsByRouteAndStatusWithUnmatchedBucket) {
    bm::RequestMetrics m({"GET /", "GET /items/<id>"});
    m.record(1, 200, 1ms);
    m.record(2, 404, 2ms);
    m.record(2, 404, 2ms);
    m.record(0, 404, 1ms);
    m.record(99, 200, 1ms);   // out of the table: unmatched
    m.record(1, 42, 1ms);     // impossible status: counted as 500
    EXPECT_EQ(m.count_for_testing(1, 200), 1u);
    EXPECT_EQ(m.count_for_testing(2, 404), 2u);
    EXPECT_EQ(m.count_for_testing(0, 404), 1u);
    EXPECT_EQ(m.count_for_testing(0, 200), 1u);
    EXPECT_EQ(m.count_for_testing(1, 500), 1u);
    bm::Exposition out;
    m.write(out);
    const auto& t = out.text();
    EXPECT_TRUE(contains(t, "bulwark_http_requests_total{route=\"GET /items/<id>\",status=\"404\"} 2\n")) << t;
    EXPECT_TRUE(contains(t, "bulwark_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n")) << t;
    EXPECT_FALSE(contains(t, "status=\"201\"")) << "zero series are left out";
    EXPECT_TRUE(contains(t, "bulwark_http_request_duration_seconds_count{route=\"GET /\"} 2\n")) << t;
    EXPECT_TRUE(contains(t, "bulwark_http_request_duration_seconds_bucket{route=\"GET /items/<id>\",le=\"0.0025\"} 2\n"))
        << t;
}

TEST(MetricsRequests, RouteNamesAreEscaped) {
    bm::RequestMetrics m({"GET /a\"b\n"});
    m.record(1, 200, 1ms);
    bm::Exposition out;
    m.write(out);
    EXPECT_TRUE(contains(out.text(), "route=\"GET /a\\\"b\\n\"")) << out.text();
}

TEST(MetricsConcurrency, NoUpdateIsLostUnderContention) {
    bm::Registry r;
    auto& counter = r.counter("hits_total", "Hits.");
    auto& hist = r.histogram("lat_seconds", "Latency.");
    bm::RequestMetrics req({"GET /"});
    constexpr int kThreads = 4;
    constexpr int kEach = 20000;
    std::vector<std::thread> threads;
    std::atomic<bool> stop{false};
    std::thread scraper([&] {
        while (!stop.load()) (void)r.render();  // rendering while updating must be safe
    });
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kEach; ++i) {
                counter.add();
                hist.observe(std::chrono::microseconds(i % 3000));
                req.record(1, 200, 1ms);
            }
        });
    }
    for (auto& th : threads) th.join();
    stop = true;
    scraper.join();
    EXPECT_EQ(counter.value(), std::uint64_t{kThreads} * kEach);
    EXPECT_EQ(hist.snapshot().count, std::uint64_t{kThreads} * kEach);
    EXPECT_EQ(req.count_for_testing(1, 200), std::uint64_t{kThreads} * kEach);
}

}  // namespace
