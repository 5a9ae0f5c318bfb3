// The classic injection: SQL text built from a runtime string. Must not compile.
#include <bulwark/db.hpp>

#include <string>

void runtime_string_concat(bulwark::db::Database& db, const std::string& untrusted_name) {
    (void)db.query(std::string("SELECT id FROM users WHERE name = '") + untrusted_name + "'");
}
