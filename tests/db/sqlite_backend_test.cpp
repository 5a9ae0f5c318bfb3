// The shared backend suite (suite/*.cpp), on SQLite.
#include "suite/fixture.hpp"

namespace bulwark::db::testing {
std::vector<std::string> backends_under_test() { return {"sqlite"}; }
}  // namespace bulwark::db::testing
