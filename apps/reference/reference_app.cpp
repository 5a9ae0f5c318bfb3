// reference::build: open the database, apply the migrations, install the default pipeline and
// add the routes. Everything the handlers share lives in one State (app_state.hpp).
#include "reference_app.hpp"

#include "app_state.hpp"

#include <bulwark/db.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace reference {
namespace detail {

std::filesystem::path resource_dir(const bulwark::Config& config) {
    if (auto dir = config.get("BULWARK_REFERENCE_DIR"); dir && !dir->empty()) return *dir;
    return BULWARK_REFERENCE_SOURCE_DIR;
}

bulwark::Response json_message(std::string_view key, std::string_view message, int status) {
    boost::json::object body;
    body[key] = message;
    return bulwark::Response::json(boost::json::serialize(body), status);
}

bulwark::Response render(State& state, bulwark::Request& req, std::string_view name,
                         bulwark::tmpl::Map context, int status) {
    namespace bp = bulwark::pipeline;
    const bool logged_in = !req.identity().empty();
    if (logged_in) context["user"] = req.identity();
    // A CSRF token creates a session; anonymous pages without a form must not, or every
    // visit (and every crawler) would leave a session record in the store.
    const bool has_form = logged_in || name == "register.html" || name == "login.html" ||
                          name == "forgot_password.html" || name == "reset_password.html";
    auto page = state.templates->render(
        name, context, {.csp_nonce = bp::csp_nonce(req), .csrf_token = has_form ? bp::csrf_token(req) : std::string()});
    if (!page) throw std::runtime_error("template: " + page.error().to_string());
    return bulwark::Response::html(std::move(*page), status);
}

bulwark::Response busy() {
    auto r = json_message("error", "Server busy, try again", 503);
    r.headers().set("Retry-After", "1");
    return r;
}

}  // namespace detail

namespace {

bulwark::db::Database open_database(const bulwark::Config& config) {
    // The instance folder holds the SQLite file and uploads; only the owner may enter it. In
    // development the key file already made it; in production nothing has yet.
    std::filesystem::create_directories(config.instance_dir);
    std::filesystem::permissions(config.instance_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    // A connection per worker thread (ServerOptions' default pool: 4 per core, at least 16): a
    // handler waiting for its write's group commit keeps its connection, and with fewer
    // connections than workers the rest queued for one before they could queue for the commit.
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    auto db = bulwark::db::Database::open(config.database_url, {.max_connections = std::max(16u, 4 * cores)});
    // The URL may hold a password: only the error's fixed message is shown.
    if (!db) throw std::runtime_error("database: " + std::string(db.error().message()));
    const auto dir = detail::resource_dir(config) / "migrations" /
                     (db->backend() == bulwark::db::Backend::postgresql ? "postgresql" : "sqlite");
    auto migrated = bulwark::db::migrate(*db, dir);
    if (!migrated)
        throw std::runtime_error("migrations: " + std::string(bulwark::db::migrate_error_name(migrated.error().code)));
    return std::move(*db);
}

}  // namespace

void build(bulwark::App& app, const bulwark::Config& config) {
    auto state = std::make_shared<detail::State>(open_database(config));
    state->production = config.is_production();
    state->services = bulwark::pipeline::make_services(config);
    // Violations of the policy come back to POST /csp-report and go into the security log
    // (report-uri: Chromium sends those at once; report-to would need Reporting-Endpoints).
    if (state->services.headers.csp) state->services.headers.csp->report_uri(detail::kCspReportPath);
    // GET /metrics for loopback scrapers and API keys with the `metrics` scope (docs/metrics.md).
    bulwark::pipeline::enable_metrics(state->services, {.api_key_allows = [s = state.get()](std::string_view key) {
        return s->api_keys && s->api_keys->authenticate_scoped(key, bulwark::pipeline::kMetricsScope).ok();
    }});
    bulwark::pipeline::install_defaults(app, config, state->services);

    const auto keys = config.key_ring();
    std::vector<bulwark::jwt::Key> jwt_keys;
    jwt_keys.push_back(bulwark::jwt::Key::hmac(bulwark::jwt::Algorithm::hs256,
                                               keys.subkey(bulwark::crypto::Purpose::jwt)));
    state->tokens = std::make_unique<bulwark::jwt::Manager>(std::move(jwt_keys), bulwark::jwt::Config{},
                                                            state->services.store);
    // Hashing is slow on purpose; a small pool with a queue bound turns a login flood into
    // 503s instead of starving every other request. A login waiting for the pool holds a
    // worker thread, so hashing plus its queue may take at most half of 4 per core (the server
    // now has at least 16 workers, so this is a quarter there or less): with a queue of 64, 32
    // flooding clients held all 8 workers a 2-core machine had then, and GET / waited seconds
    // behind them (bench/macro/login_flood.py).
    // The machine's cores, not usable_cores(): pinned to one core, 1 hashing + 1 waiting made
    // two clients logging in back to back get 503s (a slot is free only after the answer is sent).
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned workers = std::max(4u, 4 * cores);
    const unsigned queue = std::max(1u, workers / 2 > cores ? workers / 2 - cores : 1u);
    state->hashes = std::make_unique<bulwark::password::HashPool>(cores, queue);
    const auto dir = detail::resource_dir(config);
    state->templates = std::make_unique<bulwark::tmpl::Environment>(
        bulwark::tmpl::Config{.root = dir / "templates", .auto_reload = !config.is_production()});
    state->static_dir = dir / "static";
    state->api_keys = std::make_unique<bulwark::apikey::Registry>(
        detail::make_key_repository(state->db), keys.subkeys(bulwark::crypto::Purpose::api_key));
    state->webhook_secret = config.webhook_secret;
    state->max_content_length = config.max_content_length;
    state->upload_dir = config.instance_dir / "uploads";
    std::filesystem::create_directories(state->upload_dir);
    std::filesystem::permissions(state->upload_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    // API_DATA_RATE_LIMIT (default "100 per hour", per key): a reference-app setting, so tests
    // and load runs can use a small or a large quota.
    state->api_data_limits =
        bulwark::ratelimit::parse_or_throw(config.get("API_DATA_RATE_LIMIT").value_or("100 per hour"));
    state->login_rate_limit = config.login_rate_limit;
    bulwark::ratelimit::parse_or_throw(state->login_rate_limit);  // refuse to start on a bad one
    // The route's rate limit counts each login path apart; the throttle counts both paths
    // together per address (same limit), and failures per account in the store. Its limiter
    // has a key prefix of its own, so its "login" scope never shares a counter with the
    // pipeline's bucket of the route named "login".
    bulwark::ratelimit::Config login_limits;
    login_limits.key_prefix = "rl-logins|";
    state->login_limiter = std::make_unique<bulwark::ratelimit::Limiter>(state->services.store, login_limits);
    bulwark::auth::ThrottleOptions throttle;
    throttle.per_address = state->login_rate_limit;  // 10 failures per account per 15 minutes: the default
    state->login_throttle =
        std::make_unique<bulwark::auth::LoginThrottle>(state->services.store, *state->login_limiter, throttle);

    detail::setup_account(app, config, *state);

    detail::add_pages(app, state);
    detail::add_api(app, state);
    detail::add_uploads(app, state);
    detail::add_csp_report(app, state);
    detail::add_account_recovery(app, state);
    detail::add_account_sessions(app, state, config);
    detail::add_oidc_login(app, state, config);
}

std::string create_api_key(const bulwark::Config& config, const std::string& name, const std::string& owner,
                           std::vector<std::string> scopes) {
    auto db = open_database(config);
    bulwark::apikey::Registry registry(detail::make_key_repository(db),
                                       config.key_ring().subkeys(bulwark::crypto::Purpose::api_key));
    auto created = registry.create({.name = name, .owner = owner, .scopes = std::move(scopes), .ttl = std::nullopt});
    if (!created) throw std::runtime_error("api key: " + std::string(bulwark::apikey::error_message(created.error())));
    return created->key;
}

}  // namespace reference
