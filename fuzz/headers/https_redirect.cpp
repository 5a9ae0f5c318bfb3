// Fuzz the HTTPS redirect: Host and target from the input (split on '\n'). A Location must
// always be https://, visible ASCII only, and its authority must end where the target begins.
#include <bulwark/headers.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace headers = bulwark::headers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    const auto host = input.substr(0, nl);
    const auto target = nl == std::string_view::npos ? std::string_view{"/"} : input.substr(nl + 1);
    const auto r = headers::https_redirect("POST", host, target, false, headers::Environment::production);
    if (!r || !r->has_value()) return 0;
    const auto& loc = (*r)->location;
    if (!loc.starts_with("https://") || (*r)->status != 308) std::abort();
    for (char c : loc)
        if (c <= 0x20 || c >= 0x7f || c == '\\') std::abort();
    const auto authority = std::string_view(loc).substr(8, loc.find('/', 8) - 8);
    if (authority.find_first_of("@?#") != std::string_view::npos) std::abort();
    return 0;
}
