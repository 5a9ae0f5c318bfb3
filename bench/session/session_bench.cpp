// Session cost per request: load + save of a logged-in session on each store, against an
// anonymous request (load + save with no cookie: no store access at all), same run.
// Redis runs when BULWARK_TEST_REDIS_URL is set.
#include <bulwark/session.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

using bulwark::session::Manager;
using bulwark::session::Session;

const bulwark::crypto::KeyRing& keys() {
    static const bulwark::crypto::KeyRing ring(
        bulwark::crypto::SecretBytes(std::string_view("bench-key-bench-key-bench-key-32")));
    return ring;
}

std::shared_ptr<bulwark::store::Store> open_store(const std::string& kind) {
    std::string url;
    if (kind == "memory") url = "memory://";
    if (kind == "sqlite") {
        const std::string path = "/tmp/bulwark_session_bench_" + std::to_string(::getpid()) + ".db";
        std::remove(path.c_str());
        url = "sqlite://" + path;
    }
    if (kind == "redis") {
        const char* r = std::getenv("BULWARK_TEST_REDIS_URL");
        if (!r) return nullptr;
        url = std::string(r) + "?prefix=bwsessbench:";
    }
    auto s = bulwark::store::open(url);
    return s ? *s : nullptr;
}

// A logged-in request that changes nothing: one store read (writes only once a minute).
void logged_in_read(benchmark::State& state, const std::string& kind) {
    auto store = open_store(kind);
    if (!store) {
        state.SkipWithError("store not available");
        return;
    }
    Manager m(store, keys());
    Session s = m.load("");
    s.bind_user("42");
    s.set("_auth", boost::json::object{{"uid", "42"}, {"at", 0}, {"fresh", true}});
    s.set("csrf", boost::json::string(43, 'x'));
    auto c = m.save(s);
    const std::string id = (**c).value;
    for (auto _ : state) {
        Session r = m.load(id, "203.0.113.1", "bench");
        auto saved = m.save(r);
        benchmark::DoNotOptimize(saved);
    }
}

// A logged-in request that writes (flash message, cart): one read and one write.
void logged_in_write(benchmark::State& state, const std::string& kind) {
    auto store = open_store(kind);
    if (!store) {
        state.SkipWithError("store not available");
        return;
    }
    Manager m(store, keys());
    Session s = m.load("");
    s.bind_user("42");
    s.set("n", 0);
    const std::string id = (**m.save(s)).value;
    std::int64_t n = 0;
    for (auto _ : state) {
        Session r = m.load(id);
        r.set("n", ++n);
        auto saved = m.save(r);
        benchmark::DoNotOptimize(saved);
    }
}

void anonymous(benchmark::State& state, const std::string& kind) {
    auto store = open_store(kind);
    if (!store) {
        state.SkipWithError("store not available");
        return;
    }
    Manager m(store, keys());
    for (auto _ : state) {
        Session r = m.load("");
        auto saved = m.save(r);
        benchmark::DoNotOptimize(saved);
    }
}

void signed_client_read(benchmark::State& state) {
    bulwark::session::ClientManager m(keys());
    Session s = m.load("");
    s.bind_user("42");
    s.set("csrf", boost::json::string(43, 'x'));
    const std::string value = (**m.save(s)).value;
    for (auto _ : state) {
        Session r = m.load(value);
        auto saved = m.save(r);
        benchmark::DoNotOptimize(saved);
    }
}

}  // namespace

BENCHMARK_CAPTURE(anonymous, memory, std::string("memory"));
BENCHMARK_CAPTURE(logged_in_read, memory, std::string("memory"));
BENCHMARK_CAPTURE(logged_in_write, memory, std::string("memory"));
BENCHMARK_CAPTURE(logged_in_read, sqlite, std::string("sqlite"));
BENCHMARK_CAPTURE(logged_in_write, sqlite, std::string("sqlite"));
BENCHMARK_CAPTURE(logged_in_read, redis, std::string("redis"));
BENCHMARK_CAPTURE(logged_in_write, redis, std::string("redis"));
BENCHMARK(signed_client_read);

BENCHMARK_MAIN();
