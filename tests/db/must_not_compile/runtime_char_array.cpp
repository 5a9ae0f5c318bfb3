// A mutable array filled at run time has the literal's type but not a constant value. Must not compile.
#include <bulwark/db.hpp>

#include <cstring>

void runtime_char_array(bulwark::db::Database& db, const char* untrusted) {
    char text[64] = "SELECT 1";
    std::strncpy(text, untrusted, sizeof text - 1);
    (void)db.query(text);
}
