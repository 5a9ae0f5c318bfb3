// make_services: the shared objects the default stages need, built from the configuration.
#include <bulwark/pipeline.hpp>

#include <stdexcept>
#include <string>

namespace bulwark::pipeline {

Services make_services(const Config& config) {
    Services s;
    // The URL may hold a password: it never goes into the message.
    auto opened = store::open(config.redis_url ? *config.redis_url : std::string("memory://"));
    if (!opened)
        throw std::runtime_error(std::string("pipeline: cannot open the store (") +
                                 std::string(store::error_name(opened.error())) + ")");
    s.store = *opened;
    // A shared store that cannot answer refuses rate-limited requests (503 + Retry-After)
    // instead of counting per instance: N instances would otherwise allow N times the limit
    // on exactly the routes that need one (logins). The memory store never fails.
    ratelimit::Config limits;
    limits.on_store_failure = ratelimit::OnStoreFailure::fail_closed;
    s.limiter = std::make_shared<ratelimit::Limiter>(s.store, limits);
    // CORS only on /api, as the contract says; with no CORS_ORIGINS nothing is allowed, but
    // Vary: Origin is still sent there so caches never mix answers.
    s.cors = std::make_shared<const cors::Cors>(std::vector<cors::Policy>{cors::Policy{
        .path_prefix = "/api",
        .origins = config.cors_origins,
        .methods = {"GET", "POST"},
        .allow_headers = {"Content-Type", "Authorization", "X-API-Key"},
    }});
    session::Options options;
    options.production = config.is_production();
    options.cookie_base_name = config.session_cookie_name;
    s.sessions = std::make_shared<const session::Manager>(s.store, config.key_ring(), options);
    s.audit = std::make_shared<audit::Logger>();
    s.csrf.trusted_origins = config.trusted_origins;
    return s;
}

}  // namespace bulwark::pipeline
