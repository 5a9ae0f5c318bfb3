// One placeholder style: PostgreSQL's $1 in a literal is refused at compile time.
#include <bulwark/db.hpp>

void dollar_placeholder(bulwark::db::Database& db) { (void)db.query("SELECT id FROM users WHERE id = $1", 1); }
