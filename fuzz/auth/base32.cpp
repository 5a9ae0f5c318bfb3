// Fuzz the strict base32 decoder: anything accepted must re-encode to the same text.
#include <bulwark/auth.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto decoded = bulwark::auth::base32_decode(input);
    if (!decoded) return 0;
    const bool padded = !input.empty() && input.back() == '=';
    if (bulwark::auth::base32_encode(*decoded, padded) != input &&
        !(padded == false && input.size() % 8 == 0 && bulwark::auth::base32_encode(*decoded, true) == input))
        std::abort();
    return 0;
}
