// bench_pipeline: requests/s of one small handler through App::handle with and without the
// secure-headers + CSRF stages of pipeline::install_defaults (issue 6: at most 10% overhead),
// measured in the same run, in process (no sockets: the stages' cost, not the kernel's).
//
//   bare     App with the routes only
//   secured  install_defaults with no store-backed services: the headers stage (fresh nonce,
//            CSP rendering, server-header stripping) and the CSRF stage; POSTs carry a valid
//            masked token checked against the session secret, as a form post would
//   full     install_defaults with make_services (memory store, rate limiter, sessions, CORS,
//            security log), for reference
//   metrics  full plus pipeline::enable_metrics (request counts, latency histogram): the
//            summary gives its overhead against full
//
// Repetitions are interleaved at random, so a burst of load from other processes falls on both
// sides; the summary gives the median CPU-time rate of each and the overhead of secured against bare.
#include <bulwark/pipeline.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bp = bulwark::pipeline;

namespace {

bulwark::Response hello(bulwark::Request&) { return bulwark::Response::text("Hello, world\n"); }

void add_routes(bulwark::App& app) {
    app.get("/hello", hello).inline_handler();
    app.post("/hello", hello).inline_handler();
}

// instance_dir: where make_services' development key lives; removed when the process ends.
std::filesystem::path instance_dir() {
    static const auto dir = std::filesystem::temp_directory_path() / ("bulwark-bench-pipeline-" + bulwark::crypto::random_token(8));
    return dir;
}

struct Fixture {
    bulwark::Config config = bulwark::Config::from_map({{"BULWARK_INSTANCE_DIR", instance_dir().string()}});
    bulwark::crypto::SecretBytes secret = bulwark::csrf::new_session_secret();
    bulwark::App bare;
    bulwark::App secured;
    bulwark::App full;
    bulwark::App metrics;
    bp::Services secured_services;
    bp::Services full_services;
    bp::Services metrics_services;
    bulwark::Headers get_headers;
    bulwark::Headers post_headers;
    std::string post_body;

    Fixture() {
        add_routes(bare);
        // Only the headers and CSRF stages: every other service is null (its stage is off), and
        // the CSRF secret comes from a fixed session secret instead of a session store.
        secured_services.csrf_secret = [this](bulwark::Request&) { return &secret; };
        bp::install_defaults(secured, config, secured_services);
        add_routes(secured);
        full_services = bp::make_services(config);
        full_services.audit.reset();  // no stderr writes in the timed loop
        full_services.csrf_secret = [this](bulwark::Request&) { return &secret; };
        bp::install_defaults(full, config, full_services);
        add_routes(full);
        metrics_services = bp::make_services(config);
        metrics_services.audit.reset();
        metrics_services.csrf_secret = [this](bulwark::Request&) { return &secret; };
        bp::enable_metrics(metrics_services);
        bp::install_defaults(metrics, config, metrics_services);
        add_routes(metrics);
        metrics.check_configuration();  // as App::run does: fixes the metrics' route table

        for (auto* h : {&get_headers, &post_headers}) {
            h->set("Host", "127.0.0.1:8080");
            h->set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36");
            h->set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
            h->set("Accept-Language", "en-GB,en;q=0.9");
            h->set("Sec-Fetch-Site", "same-origin");
        }
        post_headers.set("Origin", "http://127.0.0.1:8080");
        post_headers.set("Content-Type", "application/x-www-form-urlencoded");
        post_body = "comment=hello+world&csrf_token=" + bulwark::csrf::masked_token(secret);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

enum Variant { kBare, kSecured, kFull, kMetrics };

const bulwark::App& app_for(Variant v) {
    auto& f = fixture();
    return v == kBare ? f.bare : v == kSecured ? f.secured : v == kFull ? f.full : f.metrics;
}

void run(benchmark::State& state, const bulwark::App& app, const char* method, const bulwark::Headers& headers,
         const std::string& body) {
    int expected = 200;
    for (auto _ : state) {
        bulwark::Request req(method, "/hello", headers, body);
        req.set_client("127.0.0.1", false);
        auto response = app.handle(req);
        if (response.status() != expected) {
            state.SkipWithError("unexpected status");
            break;
        }
        benchmark::DoNotOptimize(response);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Get(benchmark::State& state) {
    auto& f = fixture();
    run(state, app_for(static_cast<Variant>(state.range(0))), "GET", f.get_headers, {});
}

void BM_Post(benchmark::State& state) {
    auto& f = fixture();
    run(state, app_for(static_cast<Variant>(state.range(0))), "POST", f.post_headers, f.post_body);
}

// The parts of the secured stages alone, to see where the time goes.
void BM_Nonce(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(bulwark::headers::make_nonce());
}

void BM_CsrfCheck(benchmark::State& state) {
    auto& f = fixture();
    const auto token = bulwark::csrf::masked_token(f.secret);
    const bulwark::csrf::Policy policy;
    for (auto _ : state) {
        bulwark::csrf::RequestFacts facts{.method = "POST", .is_https = false, .host = "127.0.0.1:8080",
                                          .sec_fetch_site = "same-origin", .origin = "http://127.0.0.1:8080",
                                          .referer = std::nullopt, .submitted_token = token,
                                          .session_secret = &f.secret, .double_submit_cookie = std::nullopt};
        benchmark::DoNotOptimize(bulwark::csrf::check_request(policy, facts));
    }
}

// Summary collects the median requests/s of each variant and prints the overhead at the end.
class Summary : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const auto& r : runs) {
            if (r.run_type != Run::RT_Iteration || r.error_occurred || r.cpu_accumulated_time <= 0) continue;
            rates_[r.run_name.function_name + "/" + r.run_name.args].push_back(
                static_cast<double>(r.iterations) / r.cpu_accumulated_time);
        }
    }
    void print() {
        const auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v.empty() ? 0.0 : v[v.size() / 2];
        };
        std::printf("\nmedian requests/s of the repetitions (CPU time: other processes load the machine):\n");
        for (const char* bm : {"BM_Get", "BM_Post"}) {
            const double bare = median(rates_[std::string(bm) + "/0"]);
            const double secured = median(rates_[std::string(bm) + "/1"]);
            const double full = median(rates_[std::string(bm) + "/2"]);
            if (bare <= 0 || secured <= 0) continue;
            std::printf("  %-8s bare %10.0f  secured %10.0f (%5.1f%% overhead, %.2f us/request)  full %10.0f "
                        "(%5.1f%%)\n",
                        bm + 3, bare, secured, 100.0 * (bare / secured - 1.0), 1e6 / secured - 1e6 / bare, full,
                        full > 0 ? 100.0 * (bare / full - 1.0) : 0.0);
            const double metrics = median(rates_[std::string(bm) + "/3"]);
            if (full > 0 && metrics > 0)
                std::printf("  %-8s full %10.0f  full+metrics %10.0f (ratio %.3f, %5.1f%% overhead, %.3f us/request)\n",
                            bm + 3, full, metrics, full / metrics, 100.0 * (full / metrics - 1.0),
                            1e6 / metrics - 1e6 / full);
        }
    }

private:
    std::map<std::string, std::vector<double>> rates_;
};

}  // namespace

BENCHMARK(BM_Get)->Arg(kBare)->Arg(kSecured)->Arg(kFull)->Arg(kMetrics);
BENCHMARK(BM_Post)->Arg(kBare)->Arg(kSecured)->Arg(kFull)->Arg(kMetrics);
BENCHMARK(BM_Nonce);
BENCHMARK(BM_CsrfCheck);

// serve runs one variant over loopback for wrk (`bench_pipeline --serve bare|secured|full
// [port]`): one I/O thread, inline handlers, no access log, so the stages are what differs.
int serve(const std::string& variant, int port) {
    auto& f = fixture();
    bulwark::App& app = variant == "secured" ? f.secured : variant == "full" ? f.full : f.bare;
    bulwark::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = static_cast<std::uint16_t>(port);
    options.io_threads = 1;
    options.access_log = false;
    options.on_listening = [&](std::uint16_t p) {
        std::fprintf(stderr, "bench_pipeline: %s on 127.0.0.1:%u\n", variant.c_str(), p);
    };
    app.run(options);
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 3 && std::string_view(argv[1]) == "--serve") {
        const std::string variant = argv[2];
        if (variant != "bare" && variant != "secured" && variant != "full") {
            std::fprintf(stderr, "usage: %s --serve bare|secured|full [port]\n", argv[0]);
            return 2;
        }
        return serve(variant, argc >= 4 ? std::atoi(argv[3]) : 0);
    }
    // Defaults for a loaded machine: several short repetitions, interleaved at random.
    std::vector<char*> args(argv, argv + argc);
    std::string reps = "--benchmark_repetitions=7";
    std::string interleave = "--benchmark_enable_random_interleaving=true";
    std::string min_time = "--benchmark_min_time=0.2";
    const auto given = [&](std::string_view flag) {
        return std::any_of(args.begin() + 1, args.end(), [&](char* a) { return std::string_view(a).rfind(flag, 0) == 0; });
    };
    if (!given("--benchmark_repetitions")) args.push_back(reps.data());
    if (!given("--benchmark_enable_random_interleaving")) args.push_back(interleave.data());
    if (!given("--benchmark_min_time")) args.push_back(min_time.data());
    int count = static_cast<int>(args.size());
    benchmark::Initialize(&count, args.data());
    fixture();  // build the apps before timing
    struct Cleanup {
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(instance_dir(), ec);
        }
    } cleanup;
    Summary summary;
    benchmark::RunSpecifiedBenchmarks(&summary);
    summary.print();
    benchmark::Shutdown();
    return 0;
}
