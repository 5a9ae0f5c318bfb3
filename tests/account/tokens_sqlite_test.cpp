// account::Tokens on SQLite: a fresh file database per test (a file, not :memory:, so the
// concurrency case runs on several connections as several instances would).
#include "token_suite.hpp"

#include <filesystem>

namespace account_test {

std::optional<db::Database> make_database() {
    const auto dir = std::filesystem::temp_directory_path() / ("bulwark-account-" + crypto::random_token(9));
    std::filesystem::create_directories(dir);
    auto d = db::Database::open("sqlite://" + (dir / "tokens.db").string());
    if (!d) throw std::runtime_error("open sqlite: " + d.error().diagnostic_for_log());
    if (auto r = d->execute_trusted_script(account::schema(db::Backend::sqlite)); !r)
        throw std::runtime_error("schema: " + r.error().diagnostic_for_log());
    return std::move(*d);
}

}  // namespace account_test
