// What a login session costs a page: GET / of the reference app through its full default
// pipeline (App::handle in process, no sockets: request id, rate limit stage, CORS, session
// load, CSRF, handler with the template, secure headers and CSP nonce, session save, security
// log), logged in (a session cookie: one store read, the CSRF token rendered into the page)
// against anonymous (no cookie: no store access), same run, for each session store:
// memory, SQLite (a file in a temporary folder) and Redis (BULWARK_TEST_REDIS_URL, skipped
// without it). The session's cost per request is anonymous items_per_second / logged-in
// items_per_second - 1 (run with --benchmark_format=json to compute it).
#include "reference_app.hpp"

#include <bulwark/config.hpp>
#include <bulwark/crypto.hpp>
#include <bulwark/http.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>

namespace {

const std::string kUser = "bench_user";
const std::string kPassword = "correct horse battery staple 42";

// Site: one reference app on one store, logged in once through the forms.
struct Site {
    std::filesystem::path dir;
    bulwark::Config config;
    bulwark::App app;
    std::string cookie_header;  // "session=..." of the logged-in browser

    explicit Site(const std::string& store_url) : dir(fresh_dir()), config(make_config(dir, store_url)) {
        reference::build(app, config);
        login();
    }
    ~Site() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    static std::filesystem::path fresh_dir() {
        auto d = std::filesystem::temp_directory_path() / ("bulwark-bench-ref-" + bulwark::crypto::random_token(8));
        std::filesystem::create_directories(d);
        return d;
    }
    static bulwark::Config make_config(const std::filesystem::path& dir, const std::string& store_url) {
        auto c = bulwark::Config::from_map({{"BULWARK_INSTANCE_DIR", dir.string()}});
        // REDIS_URL accepts only redis URLs; the store behind it may be any (sqlite:// here).
        if (!store_url.empty()) c.redis_url = store_url;
        return c;
    }

    bulwark::Response send(const std::string& method, const std::string& target, const std::string& cookie,
                           const std::string& body = {}) {
        bulwark::Headers h;
        h.set("Host", "localhost");
        if (!cookie.empty()) h.set("Cookie", cookie);
        if (method == "POST") {
            h.set("Content-Type", "application/x-www-form-urlencoded");
            h.set("Content-Length", std::to_string(body.size()));
        }
        bulwark::Request req(method, target, std::move(h), body);
        req.set_client("127.0.0.1", false);
        return app.handle(req);
    }

    static std::string session_cookie(const bulwark::Response& r, const std::string& fallback) {
        for (const auto& c : r.cookies())
            if (c.name.find("session") != std::string::npos) return c.name + "=" + c.value;
        return fallback;
    }

    void login() {
        static const std::regex token_re(R"re(name="csrf_token" value="([A-Za-z0-9_-]+)")re");
        auto form = send("GET", "/register", "");
        std::string cookie = session_cookie(form, "");
        std::smatch m;
        if (!std::regex_search(form.body(), m, token_re)) throw std::runtime_error("no csrf token");
        const std::string token = m[1].str();
        auto reg = send("POST", "/register", cookie,
                        "username=" + kUser + "&email=bench%40example.com&password=correct+horse+battery+staple+42"
                        "&csrf_token=" + token);
        if (reg.status() != 303) throw std::runtime_error("register: " + std::to_string(reg.status()));
        auto in = send("POST", "/login", cookie,
                       "username=" + kUser + "&password=correct+horse+battery+staple+42&csrf_token=" + token);
        if (in.status() != 303) throw std::runtime_error("login: " + std::to_string(in.status()));
        cookie_header = session_cookie(in, cookie);
        auto home = send("GET", "/", cookie_header);
        if (home.body().find(kUser) == std::string::npos) throw std::runtime_error("not logged in");
    }
};

std::string store_url(const std::string& kind) {
    if (kind == "memory") return "memory://";
    if (kind == "sqlite") {
        const auto path = std::filesystem::temp_directory_path() /
                          ("bulwark-bench-sessions-" + bulwark::crypto::random_token(8) + ".db");
        return "sqlite://" + path.string();
    }
    const char* r = std::getenv("BULWARK_TEST_REDIS_URL");
    if (!r) return {};
    return std::string(r) + (std::string(r).find('?') == std::string::npos ? "?" : "&") +
           "prefix=bwrefbench" + bulwark::crypto::random_token(4) + ":";
}

std::map<std::string, std::unique_ptr<Site>>& sites() {
    static std::map<std::string, std::unique_ptr<Site>> s;
    return s;
}

Site* site(const std::string& kind) {
    auto& all = sites();
    auto it = all.find(kind);
    if (it != all.end()) return it->second.get();
    const auto url = store_url(kind);
    std::unique_ptr<Site> made;
    if (!url.empty()) made = std::make_unique<Site>(url);
    return all.emplace(kind, std::move(made)).first->second.get();
}

void home(benchmark::State& state, const std::string& kind, bool logged_in) {
    Site* s = site(kind);
    if (!s) {
        state.SkipWithError("store not available (BULWARK_TEST_REDIS_URL)");
        return;
    }
    const std::string cookie = logged_in ? s->cookie_header : std::string();
    for (auto _ : state) {
        auto r = s->send("GET", "/", cookie);
        if (r.status() != 200) {
            state.SkipWithError("GET / did not answer 200");
            break;
        }
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

// Pairs one after the other per store, so both halves of a ratio see the same machine load.
BENCHMARK_CAPTURE(home, memory_anonymous, std::string("memory"), false)->MinTime(2.0);
BENCHMARK_CAPTURE(home, memory_logged_in, std::string("memory"), true)->MinTime(2.0);
BENCHMARK_CAPTURE(home, sqlite_anonymous, std::string("sqlite"), false)->MinTime(2.0);
BENCHMARK_CAPTURE(home, sqlite_logged_in, std::string("sqlite"), true)->MinTime(2.0);
BENCHMARK_CAPTURE(home, redis_anonymous, std::string("redis"), false)->MinTime(2.0);
BENCHMARK_CAPTURE(home, redis_logged_in, std::string("redis"), true)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    sites().clear();
    return 0;
}
