// The integration executable runs the store-backed suites on Redis (BULWARK_TEST_REDIS_URL).
#include "store_fixture.hpp"

std::vector<std::string> bulwark::testing_stores::backends() { return {"redis"}; }
