// account::Tokens on SQLite: a fresh file database per test (a file, not :memory:, so the
// concurrency case runs on several connections as several instances would). The folders go
// when the run ends.
#include "token_suite.hpp"

#include <filesystem>
#include <vector>

namespace account_test {
namespace {

std::vector<std::filesystem::path>& folders() {
    static std::vector<std::filesystem::path> f;
    return f;
}

class RemoveFolders : public ::testing::Environment {
public:
    void TearDown() override {
        std::error_code ec;
        for (const auto& f : folders()) std::filesystem::remove_all(f, ec);
    }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new RemoveFolders);

}  // namespace

std::optional<db::Database> make_database() {
    const auto dir = std::filesystem::temp_directory_path() / ("bulwark-account-" + crypto::random_token(9));
    std::filesystem::create_directories(dir);
    folders().push_back(dir);
    auto d = db::Database::open("sqlite://" + (dir / "tokens.db").string());
    if (!d) throw std::runtime_error("open sqlite: " + d.error().diagnostic_for_log());
    if (auto r = d->execute_trusted_script(account::schema(db::Backend::sqlite)); !r)
        throw std::runtime_error("schema: " + r.error().diagnostic_for_log());
    return std::move(*d);
}

}  // namespace account_test
