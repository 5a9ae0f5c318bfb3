// internal.hpp: helpers shared by the ratelimit sources.
#pragma once

#include <string>
#include <string_view>

namespace bulwark::ratelimit::detail {

// append_safe_part appends v, or a hash of it when it is long or holds a separator or a
// control character, so a caller's value can never forge another key's boundaries.
void append_safe_part(std::string& out, std::string_view v);

}  // namespace bulwark::ratelimit::detail
