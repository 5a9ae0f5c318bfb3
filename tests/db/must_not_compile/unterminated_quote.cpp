// An unbalanced quote would make `?` positions ambiguous: refused at compile time.
#include <bulwark/db.hpp>

void unterminated_quote(bulwark::db::Database& db) { (void)db.query("SELECT 'abc FROM t WHERE x = ?", 1); }
