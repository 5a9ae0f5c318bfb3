// The unit executable runs the store-backed suites on memory and SQLite.
#include "store_fixture.hpp"

std::vector<std::string> bulwark::testing_stores::backends() { return {"memory", "sqlite"}; }
