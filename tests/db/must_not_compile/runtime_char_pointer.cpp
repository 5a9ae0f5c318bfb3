// A pointer to characters known only at run time. Must not compile.
#include <bulwark/db.hpp>

#include <cstdlib>

void runtime_char_pointer(bulwark::db::Database& db) {
    const char* text = std::getenv("QUERY");
    (void)db.query(text);
}
