// test_env.hpp: where the integration tests find their services.
//
// `make test` starts Redis and PostgreSQL on loopback (scripts/test-services) and exports
// BULWARK_TEST_REDIS_URL and BULWARK_TEST_DATABASE_URL with BULWARK_REQUIRE_SERVICES=1, so a
// missing service fails the run there. Run by hand without them, the tests are skipped.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace bulwark::testing_env {

inline std::string service_url(const char* variable) {
    const char* value = std::getenv(variable);
    return value ? std::string(value) : std::string();
}

inline bool services_required() {
    const char* value = std::getenv("BULWARK_REQUIRE_SERVICES");
    return value && std::string(value) == "1";
}

}  // namespace bulwark::testing_env

// BULWARK_SERVICE_URL_OR_SKIP(var, "BULWARK_TEST_REDIS_URL") sets var or skips (fails when required).
#define BULWARK_SERVICE_URL_OR_SKIP(var, name)                                           \
    std::string var = ::bulwark::testing_env::service_url(name);                          \
    if (var.empty()) {                                                                     \
        if (::bulwark::testing_env::services_required()) FAIL() << name " is not set";     \
        GTEST_SKIP() << name " is not set; run through `make test`";                       \
    }
