// Fuzz the sanitizer: never crash, and sanitize(sanitize(x)) == sanitize(x).
#include <bulwark/sanitize.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto once = bulwark::tmpl::sanitize(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!once) return 0;
    auto twice = bulwark::tmpl::sanitize(once->str());
    if (!twice || twice->str() != once->str()) std::abort();
    return 0;
}
