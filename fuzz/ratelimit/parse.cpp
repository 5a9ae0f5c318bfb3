// parse.cpp (fuzz): the limit grammar must never crash, and what it accepts must render and
// re-parse to the same limits.
#include <bulwark/ratelimit.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = bulwark::ratelimit::parse(text);
    if (!r) return 0;
    std::string again;
    for (const auto& l : *r) {
        if (l.amount <= 0 || l.period().count() <= 0) std::abort();
        again += (again.empty() ? "" : "; ") + l.text();
    }
    auto back = bulwark::ratelimit::parse(again);
    if (!back || *back != *r) std::abort();
    return 0;
}
