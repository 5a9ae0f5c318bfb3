// Fuzz safe_next: whatever it accepts must be a local path by a browser's reading.
#include <bulwark/auth.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto next = bulwark::auth::safe_next(input);
    if (!next) return 0;
    const std::string& p = *next;
    if (p != input || p.empty() || p[0] != '/') std::abort();
    if (p.size() > 1 && (p[1] == '/' || p[1] == '\\')) std::abort();
    for (unsigned char c : p)
        if (c <= 0x20 || c >= 0x7F || c == '\\') std::abort();
    return 0;
}
