// Private helpers shared by the config sources: the variable-name grammar.
#pragma once

#include <string_view>

namespace bulwark::config::detail {

// is_key_char: [A-Za-z_] first, [A-Za-z0-9_.] after (the brief's dotenv key grammar).
inline bool is_key_char(char c, bool first) noexcept {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_') return true;
    return !first && ((c >= '0' && c <= '9') || c == '.');
}

inline bool is_valid_key(std::string_view name) noexcept {
    if (name.empty() || name.size() > 256) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!is_key_char(name[i], i == 0)) return false;
    }
    return true;
}

}  // namespace bulwark::config::detail
