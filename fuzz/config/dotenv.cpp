// Fuzz the .env parser: it must never crash, every accepted entry must respect the key
// grammar and the limits, and any accepted value must survive a single-quoted round trip.
#include <bulwark/config.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

bool valid_key(const std::string& k) {
    if (k.empty()) return false;
    for (std::size_t i = 0; i < k.size(); ++i) {
        char c = k[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool rest = (c >= '0' && c <= '9') || c == '.';
        if (!(alpha || (i > 0 && rest))) return false;
    }
    return true;
}

std::string single_quoted(const std::string& v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    bulwark::config::DotenvLimits limits;
    limits.max_value_bytes = 4096;
    const std::map<std::string, std::string> env = {{"HOME", "/home/fuzz"}, {"A", "aaaa"}};
    auto r = bulwark::config::parse_dotenv(text, env, limits);
    if (!r) {
        if (r.error().line > size + 1) std::abort();
        return 0;
    }
    for (const auto& e : *r) {
        if (!valid_key(e.key) || e.value.size() > limits.max_value_bytes) std::abort();
        if (e.line == 0 || e.line > size + 1) std::abort();
        auto again = bulwark::config::parse_dotenv(e.key + "=" + single_quoted(e.value) + "\n", {}, limits);
        if (!again || again->size() != 1 || (*again)[0].value != e.value) std::abort();
    }
    return 0;
}
