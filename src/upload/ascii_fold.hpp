// Private: the generated NFKD-to-ASCII table behind secure_filename.
#pragma once

#include <cstddef>

namespace bulwark::upload::detail {

struct FoldEntry {
    char32_t code_point;
    const char* ascii;  // what NFKD leaves in ASCII for this code point (1 to 5 chars)
};
extern const FoldEntry kAsciiFold[];   // sorted by code point
extern const std::size_t kAsciiFoldSize;

}  // namespace bulwark::upload::detail
