// secure_filename: Werkzeug's algorithm (werkzeug.utils.secure_filename), step for step, with
// its Windows rules applied everywhere.
#include "ascii_fold.hpp"

#include <bulwark/upload.hpp>

#include <algorithm>
#include <array>

namespace bulwark::upload {
namespace {

// fold_to_ascii: NFKD, then drop everything that is not ASCII. Bytes that are not well-formed
// UTF-8 are dropped too (Python would never see them: its input is already text).
std::string fold_to_ascii(std::string_view in) {
    std::string out;
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t n = in.size(), i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        std::size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        bool ok = len != 0 && n - i >= len;
        char32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; ok && k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) ok = false;
            else cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not code points.
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                   (cp >= 0xD800 && cp <= 0xDFFF)))
            ok = false;
        if (!ok) {
            ++i;
            continue;
        }
        i += len;
        const detail::FoldEntry* end = detail::kAsciiFold + detail::kAsciiFoldSize;
        const detail::FoldEntry* hit = std::lower_bound(
            detail::kAsciiFold, end, cp, [](const detail::FoldEntry& e, char32_t v) { return e.code_point < v; });
        if (hit != end && hit->code_point == cp) out += hit->ascii;
    }
    return out;
}

// Python's str.split() with no argument: these ASCII characters are white space.
bool py_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
           (c >= '\x1c' && c <= '\x1f');
}

bool kept(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

}  // namespace

std::string secure_filename(std::string_view untrusted_filename) {
    std::string ascii = fold_to_ascii(untrusted_filename);
    for (char& c : ascii)
        if (c == '/' || c == '\\') c = ' ';
    // "_".join(name.split()), then drop what is not [A-Za-z0-9_.-].
    std::string joined;
    bool pending_sep = false;
    for (char c : ascii) {
        if (py_space(c)) {
            pending_sep = !joined.empty();
            continue;
        }
        if (pending_sep) joined.push_back('_');
        pending_sep = false;
        joined.push_back(c);
    }
    std::string name;
    std::copy_if(joined.begin(), joined.end(), std::back_inserter(name), kept);
    std::size_t first = name.find_first_not_of("._");
    if (first == std::string::npos) return {};
    std::size_t last = name.find_last_not_of("._");
    name = name.substr(first, last - first + 1);
    // Windows device names open the device, whatever the extension (CON.txt is CON).
    std::string stem = name.substr(0, name.find('.'));
    std::transform(stem.begin(), stem.end(), stem.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
    static constexpr std::array<std::string_view, 22> kDevices = {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
        "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
    if (std::find(kDevices.begin(), kDevices.end(), stem) != kDevices.end()) return std::string("_").append(name);
    return name;
}

}  // namespace bulwark::upload
