// One statement per query: a stacked second statement is refused at compile time.
#include <bulwark/db.hpp>

void two_statements(bulwark::db::Database& db) { (void)db.execute("DELETE FROM a; DELETE FROM b"); }
