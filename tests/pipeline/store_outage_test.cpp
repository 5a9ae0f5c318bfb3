// The default stages while the shared store (Redis in production) cannot answer: an
// unreadable session grants nothing, a CSRF-checked request with a session is 503 (not a
// CSRF 400), a rate-limited route is 503 with Retry-After (fails closed), a route needing
// neither still works, and everything works again once the store answers.
#include <bulwark/pipeline.hpp>
#include <bulwark/testing.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace bp = bulwark::pipeline;
namespace store = bulwark::store;
using bulwark::Request;
using bulwark::Result;
using bulwark::Response;
using bulwark::testing::TestClient;

namespace {

// OutageStore: a memory store that answers `unavailable` to everything while `down`.
class OutageStore final : public store::Store {
public:
    std::atomic<bool> down{false};

    Result<std::optional<std::string>, store::StoreError> get(std::string_view k) override {
        if (down) return store::StoreError::unavailable;
        return inner_->get(k);
    }
    Result<void, store::StoreError> set(std::string_view k, std::string_view v, store::Ttl t) override {
        if (down) return store::StoreError::unavailable;
        return inner_->set(k, v, t);
    }
    Result<bool, store::StoreError> set_if_absent(std::string_view k, std::string_view v, store::Ttl t) override {
        if (down) return store::StoreError::unavailable;
        return inner_->set_if_absent(k, v, t);
    }
    Result<std::optional<std::string>, store::StoreError> take(std::string_view k) override {
        if (down) return store::StoreError::unavailable;
        return inner_->take(k);
    }
    Result<bool, store::StoreError> erase(std::string_view k) override {
        if (down) return store::StoreError::unavailable;
        return inner_->erase(k);
    }
    Result<std::int64_t, store::StoreError> increment(std::string_view k, std::int64_t by, store::Ttl t) override {
        if (down) return store::StoreError::unavailable;
        return inner_->increment(k, by, t);
    }
    Result<std::optional<store::Ttl>, store::StoreError> ttl(std::string_view k) override {
        if (down) return store::StoreError::unavailable;
        return inner_->ttl(k);
    }
    Result<void, store::StoreError> rate_hit(std::span<const store::RateRequest> r,
                                             std::span<store::RateOutcome> o) override {
        if (down) return store::StoreError::unavailable;
        return inner_->rate_hit(r, o);
    }
    std::string_view backend() const noexcept override { return "outage-test"; }

private:
    std::shared_ptr<store::Store> inner_ = *store::open("memory://");
};

struct OutageApp {
    std::filesystem::path dir;
    bulwark::Config config;
    std::shared_ptr<OutageStore> store = std::make_shared<OutageStore>();
    bp::Services services;
    bulwark::App app;
    std::atomic<int> changes{0};
    std::atomic<int> errors_logged{0};

    OutageApp()
        : dir(std::filesystem::temp_directory_path() / ("bulwark-outage-" + bulwark::crypto::random_token(8))),
          config(bulwark::Config::from_map({{"BULWARK_INSTANCE_DIR", dir.string()}})) {
        std::filesystem::create_directories(dir);
        services = bp::make_services(config);
        services.audit.reset();
        services.store = store;
        bulwark::ratelimit::Config limits;
        limits.on_store_failure = bulwark::ratelimit::OnStoreFailure::fail_closed;  // as make_services
        services.limiter = std::make_shared<bulwark::ratelimit::Limiter>(store, limits);
        services.sessions = std::make_shared<const bulwark::session::Manager>(store, config.key_ring());
        services.error_log = [this](std::string_view, std::string_view) { ++errors_logged; };
        bp::install_defaults(app, config, services);
        app.get("/form", [](Request& req) { return Response::text(bp::csrf_token(req)); });
        app.post("/login", [](Request& req) {
            bp::session(req).bind_user("alice");
            return Response::text("in");
        });
        app.get("/me", [](Request& req) { return Response::text("user=" + req.identity()); });
        app.post("/change", [this](Request&) {
            ++changes;
            return Response::text("changed");
        });
        app.get("/limited", [](Request&) { return Response::text("ok"); }).rate_limit("100 per minute");
    }
    ~OutageApp() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

TEST(PipelineStoreOutage, FailsClosedThenRecovers) {
    OutageApp m;
    TestClient client(m.app);
    const auto token = client.get("/form").body;
    ASSERT_FALSE(token.empty());
    ASSERT_EQ(client.post_form("/login", {{"csrf_token", token}}).status, 200);
    ASSERT_EQ(client.get("/me").body, "user=alice");
    ASSERT_EQ(client.post_form("/change", {{"csrf_token", token}}).status, 200);
    ASSERT_EQ(m.changes, 1);

    m.store->down = true;
    EXPECT_EQ(client.get("/me").body, "user=") << "an unreadable session grants nothing";
    auto change = client.post_form("/change", {{"csrf_token", token}});
    EXPECT_EQ(change.status, 503);
    EXPECT_TRUE(change.header("Retry-After"));
    EXPECT_EQ(m.changes, 1) << "nothing changed while the check could not be made";
    auto limited = client.get("/limited");
    EXPECT_EQ(limited.status, 503) << "a rate-limited route fails closed";
    EXPECT_EQ(limited.header("Retry-After").value_or(""), "5");
    EXPECT_EQ(client.get("/form").status, 200) << "a route needing no store read still answers";
    EXPECT_GE(m.errors_logged, 1) << "the outage is logged";
    EXPECT_LE(m.errors_logged, 2) << "once a second, not once per request";

    m.store->down = false;
    EXPECT_EQ(client.get("/me").body, "user=alice") << "the session comes back with the store";
    EXPECT_EQ(client.post_form("/change", {{"csrf_token", token}}).status, 200);
    EXPECT_EQ(m.changes, 2);
    EXPECT_EQ(client.get("/limited").status, 200);
}

TEST(PipelineStoreOutage, NoCookieIsStillAPlainCsrfRefusal) {
    OutageApp m;
    m.store->down = true;
    TestClient client(m.app);
    EXPECT_EQ(client.post_form("/change", {{"csrf_token", "x"}}).status, 400)
        << "without a session there is no secret to read: the usual refusal";
}

}  // namespace
