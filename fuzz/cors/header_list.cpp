// Fuzz Access-Control-Request-Headers parsing and a whole preflight evaluation.
#include <bulwark/cors.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace cors = bulwark::cors;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const cors::Cors policy(std::vector<cors::Policy>{{.path_prefix = "/api",
                                                              .origins = {"https://*.example.com"},
                                                              .methods = {"GET", "POST"},
                                                              .allow_headers = {"Content-Type", "X-API-Key"}}});
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (const auto names = cors::parse_header_list(input)) {
        if (names->size() > cors::kMaxHeaderListNames) std::abort();
        for (const auto& n : *names)
            for (char c : n)
                if (c <= 0x20 || c >= 0x7f || c == ',' || (c >= 'A' && c <= 'Z')) std::abort();
    }
    const auto d = policy.evaluate("/api/x", "OPTIONS", "https://a.example.com", "POST", input);
    if (d.allowed) {
        const auto names = cors::parse_header_list(input);
        if (!names) std::abort();
        for (const auto& n : *names)
            if (n != "content-type" && n != "x-api-key") std::abort();
    }
    return 0;
}
