// The shared backend suite (suite/*.cpp), on PostgreSQL at BULWARK_TEST_DATABASE_URL.
#include "suite/fixture.hpp"

namespace bulwark::db::testing {
std::vector<std::string> backends_under_test() { return {"postgresql"}; }
}  // namespace bulwark::db::testing
