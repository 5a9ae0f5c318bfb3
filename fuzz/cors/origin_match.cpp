// Fuzz origin patterns: "pattern\norigin". A pattern that parses may only match an origin of
// the same scheme whose host is the pattern's host, or one extra label in front of it.
#include <bulwark/cors.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace cors = bulwark::cors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto nl = input.find('\n');
    if (nl == std::string_view::npos) return 0;
    const auto pattern_text = input.substr(0, nl);
    const auto origin = input.substr(nl + 1);
    const auto pattern = cors::OriginPattern::parse(pattern_text);
    if (!pattern || !pattern->matches(origin)) return 0;
    if (pattern_text.find('*') == std::string_view::npos) {
        if (origin != pattern_text) std::abort();  // exact means byte for byte
        return 0;
    }
    // Wildcard: origin = prefix-of-pattern + one label + rest-of-pattern.
    const auto star = pattern_text.find('*');
    const auto before = pattern_text.substr(0, star);
    const auto after = pattern_text.substr(star + 1);
    if (!origin.starts_with(before) || !origin.ends_with(after) || origin.size() <= before.size() + after.size())
        std::abort();
    const auto label = origin.substr(before.size(), origin.size() - before.size() - after.size());
    for (char c : label)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) std::abort();
    return 0;
}
