// Content checks: libmagic on the first bytes, HTML/script markers (polyglots), pixel limits.
#include "part_headers.hpp"

#include <magic.h>

#include <algorithm>

namespace bulwark::upload {
namespace {

// A libmagic handle per thread: magic_t is not thread-safe, and loading the database per call
// would cost more than the check.
struct MagicHandle {
    magic_t cookie = nullptr;
    MagicHandle() {
        cookie = ::magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF);
        if (cookie != nullptr && ::magic_load(cookie, nullptr) != 0) {
            ::magic_close(cookie);
            cookie = nullptr;
        }
    }
    ~MagicHandle() {
        if (cookie != nullptr) ::magic_close(cookie);
    }
    MagicHandle(const MagicHandle&) = delete;
    MagicHandle& operator=(const MagicHandle&) = delete;
};

std::uint32_t be32(std::string_view s, std::size_t at) {
    auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
    return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}
std::uint32_t be16(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 8 |
           static_cast<unsigned char>(s[at + 1]);
}
std::uint32_t le16(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8 |
           static_cast<unsigned char>(s[at]);
}

std::optional<std::uint64_t> jpeg_pixels(std::string_view s) {
    std::size_t i = 2;
    while (i + 4 <= s.size()) {
        if (static_cast<unsigned char>(s[i]) != 0xFF) return std::nullopt;
        auto marker = static_cast<unsigned char>(s[i + 1]);
        if (marker == 0xFF) { ++i; continue; }  // fill byte
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { i += 2; continue; }
        if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // image data before any SOF
        std::uint32_t length = be16(s, i + 2);
        if (length < 2) return std::nullopt;
        bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (i + 9 > s.size()) return std::nullopt;
            std::uint64_t height = be16(s, i + 5), width = be16(s, i + 7);
            if (height == 0 || width == 0) return std::nullopt;  // DNL-defined height: refused
            return width * height;
        }
        i += 2 + length;
    }
    return std::nullopt;
}

char fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// starts_with_folded: `s` begins with `lower` (lower case), ignoring ASCII case.
bool starts_with_folded(std::string_view s, std::string_view lower) {
    if (s.size() < lower.size()) return false;
    for (std::size_t i = 0; i < lower.size(); ++i)
        if (fold(s[i]) != lower[i]) return false;
    return true;
}

// has_markup looks for what a browser that sniffs would treat as HTML or script, anywhere in
// the head, ignoring case. One pass: every marker begins with '<' or 'j', so only there are the
// markers compared (a search per marker read the 64 KiB head 18 times).
bool has_markup(std::string_view head) {
    static constexpr std::string_view kMarkers[] = {
        "<script", "<html", "<!doctype", "<head", "<body", "<iframe", "<svg", "<?php", "<object",
        "<embed", "<meta", "<img", "<style", "<link", "<form", "<frameset", "javascript:", "<a href"};
    for (std::size_t i = 0; i < head.size(); ++i) {
        const char c = fold(head[i]);
        if (c != '<' && c != 'j') continue;
        const std::string_view rest = head.substr(i);
        for (std::string_view m : kMarkers)
            if (m[0] == c && starts_with_folded(rest, m)) return true;
    }
    return false;
}

bool is_image_type(std::string_view mime) { return mime.substr(0, 6) == "image/"; }

// Text files: UTF-8 without control characters other than tab, CR, LF, FF (as the Flask peer).
bool plain_text_ok(std::string_view head, std::uint64_t size) {
    for (unsigned char c : head)
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F) return false;
    if (detail::utf8_ok(head)) return true;
    // A character cut at the end of the head is fine when the file goes on.
    if (size <= head.size()) return false;
    for (std::size_t cut = 1; cut <= 3 && cut < head.size(); ++cut)
        if (detail::utf8_ok(head.substr(0, head.size() - cut))) return true;
    return false;
}

}  // namespace

std::string sniff_mime_type(std::string_view bytes) {
    thread_local MagicHandle handle;
    if (handle.cookie == nullptr) return {};
    const char* type = ::magic_buffer(handle.cookie, bytes.data(), bytes.size());
    return type == nullptr ? std::string{} : std::string(type);
}

std::optional<std::uint64_t> image_pixels(std::string_view s) {
    if (s.size() >= 24 && s.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8) && s.substr(12, 4) == "IHDR") {
        std::uint64_t w = be32(s, 16), h = be32(s, 20);
        if (w == 0 || h == 0) return std::nullopt;
        return w * h;
    }
    if (s.size() >= 10 && (s.substr(0, 6) == "GIF87a" || s.substr(0, 6) == "GIF89a")) {
        std::uint64_t w = le16(s, 6), h = le16(s, 8);
        if (w == 0 || h == 0) return std::nullopt;
        return w * h;
    }
    if (s.size() >= 4 && static_cast<unsigned char>(s[0]) == 0xFF && static_cast<unsigned char>(s[1]) == 0xD8)
        return jpeg_pixels(s);
    return std::nullopt;
}

const ContentPolicy& reference_policy() {
    static const ContentPolicy policy{{
        {"txt", {"text/plain", "application/x-empty"}, "text/plain; charset=utf-8"},
        {"pdf", {"application/pdf"}, "application/pdf"},
        {"png", {"image/png"}, "image/png"},
        {"jpg", {"image/jpeg"}, "image/jpeg"},
        {"jpeg", {"image/jpeg"}, "image/jpeg"},
        {"gif", {"image/gif"}, "image/gif"},
    }};
    return policy;
}

Result<CheckedType, Error> check_content(const ReceivedFile& file, const ContentPolicy& policy) {
    CheckedType out;
    out.display_name = secure_filename(file.filename);
    std::size_t dot = out.display_name.rfind('.');
    if (dot == std::string::npos) return Error::type_not_allowed;
    std::string ext = out.display_name.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    auto allowed = std::find_if(policy.allowed.begin(), policy.allowed.end(),
                                [&](const AllowedType& t) { return t.extension == ext; });
    if (allowed == policy.allowed.end()) return Error::type_not_allowed;
    // The bytes decide, not the name or the client's Content-Type.
    std::string sniffed = sniff_mime_type(file.head);
    if (std::find(allowed->mime_types.begin(), allowed->mime_types.end(), sniffed) == allowed->mime_types.end())
        return Error::type_not_allowed;
    if (has_markup(file.head)) return Error::type_not_allowed;  // polyglot: image + HTML
    if (sniffed == "text/plain" && !plain_text_ok(file.head, file.size)) return Error::type_not_allowed;
    if (is_image_type(sniffed)) {
        auto pixels = image_pixels(file.head);
        if (!pixels || *pixels > policy.max_pixels) return Error::type_not_allowed;
    }
    out.content_type = allowed->served_type.empty() ? sniffed : allowed->served_type;
    return out;
}

}  // namespace bulwark::upload
