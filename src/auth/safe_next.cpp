// safe_next: a redirect target is accepted only as a path on this site.
//
// Browsers are lenient in ways a naive check misses: they treat '\' as '/', drop tabs and
// newlines inside URLs, and some servers or proxies decode %2F / %5C before use. So the raw
// value must be printable ASCII starting with exactly one '/', and every percent-decoding of
// it (up to a few rounds) must still look like a local path.
#include <bulwark/auth.hpp>

namespace bulwark::auth {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

// looks_local: starts with one '/', no backslash, no control characters, and does not turn
// into "//" once whitespace a browser would strip is gone.
bool looks_local(std::string_view s) {
    std::string squeezed;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7F || c == '\\') return false;
        if (c != ' ') squeezed.push_back(static_cast<char>(c));
    }
    if (squeezed.empty() || squeezed[0] != '/') return false;
    if (s[0] != '/') return false;  // leading whitespace before the slash
    return squeezed.size() == 1 || squeezed[1] != '/';
}
}  // namespace

std::optional<std::string> safe_next(std::string_view untrusted) {
    if (untrusted.empty() || untrusted.size() > kMaxNext) return std::nullopt;
    for (unsigned char c : untrusted) {
        if (c <= 0x20 || c >= 0x7F) return std::nullopt;  // raw whitespace, controls, non-ASCII
    }
    if (!looks_local(untrusted)) return std::nullopt;
    std::string current(untrusted);
    for (int round = 0; round < 4 && current.find('%') != std::string::npos; ++round) {
        auto decoded = percent_decode(current);
        if (!decoded || !looks_local(*decoded)) return std::nullopt;
        current = std::move(*decoded);
    }
    if (current.find('%') != std::string::npos) return std::nullopt;  // encoded too deep to trust
    return std::string(untrusted);
}

}  // namespace bulwark::auth
