// Positive control for the must_not_compile cases: the same harness compiles the literal form.
#include <bulwark/db.hpp>

#include <string>

void literal_query(bulwark::db::Database& db, const std::string& untrusted_name, const std::string& untrusted_sort) {
    (void)db.query("SELECT id FROM users WHERE name = ? AND note <> '?'", untrusted_name);
    static constexpr char kNamed[] = "SELECT 1";
    (void)db.execute(kNamed);
    if (auto q = bulwark::db::choose_sql(untrusted_sort, {{"name", "SELECT id FROM users ORDER BY name"}})) (void)db.query(*q);
}
