#include <bulwark/upload.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace bulwark::upload {
namespace {

namespace fs = std::filesystem;

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// png makes a small, well-formed-looking PNG header: signature, IHDR, an IDAT, IEND.
std::string png(std::uint32_t w, std::uint32_t h, const std::string& tail = "") {
    std::string s("\x89PNG\r\n\x1a\n", 8);
    s += be32(13) + "IHDR" + be32(w) + be32(h) + std::string("\x08\x02\x00\x00\x00", 5) + be32(0);
    s += be32(10) + "IDAT" + std::string(10, '\x11') + be32(0);
    s += tail;
    s += be32(0) + "IEND" + be32(0xAE426082);
    return s;
}

std::string gif(std::uint16_t w, std::uint16_t h) {
    std::string s = "GIF89a";
    s += static_cast<char>(w & 0xFF);
    s += static_cast<char>(w >> 8);
    s += static_cast<char>(h & 0xFF);
    s += static_cast<char>(h >> 8);
    s += std::string("\x80\x00\x00", 3) + std::string(6, '\0') + ",";
    return s + std::string(30, '\0') + ";";
}

std::string jpeg(std::uint16_t w, std::uint16_t h) {
    std::string s("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
    s += std::string("\xFF\xC0\x00\x11\x08", 5);
    s += static_cast<char>(h >> 8);
    s += static_cast<char>(h & 0xFF);
    s += static_cast<char>(w >> 8);
    s += static_cast<char>(w & 0xFF);
    s += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
    s += std::string("\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00", 10) + std::string(40, '\x55') + "\xFF\xD9";
    return s;
}

ReceivedFile file_with(const std::string& filename, const std::string& bytes) {
    ReceivedFile f;
    f.filename = filename;
    f.head = bytes.substr(0, ReceivedFile::kHeadBytes);
    f.size = bytes.size();
    return f;
}

TEST(Content, AllowlistTable) {
    const struct {
        const char* name;
        std::string filename;
        std::string bytes;
        std::string served_type;  // empty: "File type not allowed"
    } cases[] = {
        {"png", "photo.png", png(640, 480), "image/png"},
        {"png_upper_ext", "PHOTO.PNG", png(640, 480), "image/png"},
        {"gif", "a.gif", gif(10, 10), "image/gif"},
        {"jpeg", "a.jpg", jpeg(800, 600), "image/jpeg"},
        {"jpeg_long_ext", "a.jpeg", jpeg(800, 600), "image/jpeg"},
        {"pdf", "doc.pdf", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", "application/pdf"},
        {"text", "notes.txt", "Hello, world.\nSecond line.\n", "text/plain; charset=utf-8"},
        {"text_utf8", "notes.txt", "caf\xC3\xA9 cr\xC3\xA8me\n", "text/plain; charset=utf-8"},
        {"png_that_is_html", "x.png", "<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", ""},
        {"txt_that_is_html", "x.txt", "<html><body><script>alert(document.cookie)</script></body></html>\n", ""},
        {"png_script_polyglot", "x.png", png(10, 10, "<script>alert(1)</script>"), ""},
        {"png_html_polyglot_upper", "x.png", png(10, 10, "<HTML><BODY onload=alert(1)>"), ""},
        {"gif_javascript_polyglot", "x.gif", gif(10, 10) + "javascript:alert(1)", ""},
        {"png_named_jpg", "x.jpg", png(10, 10), ""},
        {"jpeg_named_png", "x.png", jpeg(10, 10), ""},
        {"png_pixel_bomb", "bomb.png", png(100000, 100000), ""},
        {"png_just_over_limit", "big.png", png(10001, 5000), ""},
        {"png_at_limit", "ok.png", png(10000, 5000), "image/png"},
        {"gif_pixel_bomb", "bomb.gif", gif(65535, 65535), ""},
        {"jpeg_pixel_bomb", "bomb.jpg", jpeg(65535, 65535), ""},
        {"png_zero_size", "z.png", png(0, 10), ""},
        {"svg", "x.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", ""},
        {"html_ext", "x.html", "<html></html>", ""},
        {"php_double_ext", "shell.php.png", "<?php system($_GET['c']); ?>", ""},
        {"no_extension", "photo", png(10, 10), ""},
        {"empty_name", "", png(10, 10), ""},
        {"exe_as_txt", "x.txt", std::string("MZ\x90\x00\x03\x00\x00\x00", 8) + std::string(100, '\0'), ""},
        {"text_with_controls", "x.txt", std::string("abc\x01\x02 def\n", 10), ""},
        {"text_invalid_utf8", "x.txt", "abc \xFF\xFE def\n", ""},
    };
    for (const auto& c : cases) {
        auto r = check_content(file_with(c.filename, c.bytes), reference_policy());
        if (c.served_type.empty()) {
            EXPECT_FALSE(r.ok()) << c.name << " was accepted as " << (r.ok() ? r->content_type : "");
            if (!r.ok()) {
                EXPECT_EQ(error_message(r.error()), "File type not allowed") << c.name;
            }
        } else {
            ASSERT_TRUE(r.ok()) << c.name << " (libmagic says " << sniff_mime_type(c.bytes) << ")";
            EXPECT_EQ(r->content_type, c.served_type) << c.name;
        }
    }
}

// Polyglots: every marker, in any case, wherever it sits in the head (first byte of the data,
// the middle, ending at the head's last byte) makes a PNG refused; near-misses do not, and a
// marker cut by the end of the head is past what is checked.
TEST(Content, MarkupMarkersAnywhereInTheHead) {
    const std::string markers[] = {"<script", "<html", "<!doctype", "<head", "<body", "<iframe", "<svg", "<?php",
                                   "<object", "<embed", "<meta", "<img", "<style", "<link", "<form", "<frameset",
                                   "javascript:", "<a href"};
    const std::size_t before_tail = png(10, 10).size() - 12;  // the IEND chunk follows the tail
    const std::size_t room = ReceivedFile::kHeadBytes - before_tail;
    for (const std::string& m : markers) {
        std::string upper = m;
        for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        std::string mixed = m;
        for (std::size_t i = 0; i < mixed.size(); i += 2) mixed[i] = upper[i];
        for (const std::string& form : {m, upper, mixed}) {
            const std::string at_end = std::string(room - form.size(), 'j') + form;  // ends at the head's last byte
            for (const std::string& tail : {form, std::string(30000, '<') + form + "x", at_end}) {
                auto r = check_content(file_with("x.png", png(10, 10, tail)), reference_policy());
                EXPECT_FALSE(r.ok()) << form << " in a tail of " << tail.size();
            }
            const std::string cut = std::string(room - 3, 'j') + form;  // only its first 3 bytes in the head
            EXPECT_TRUE(check_content(file_with("x.png", png(10, 10, cut)), reference_policy()).ok()) << form << " cut";
        }
        const std::string near = m.substr(0, m.size() - 1) + "_";
        EXPECT_TRUE(check_content(file_with("x.png", png(10, 10, near + " " + near)), reference_policy()).ok()) << near;
    }
    EXPECT_TRUE(check_content(file_with("x.png", png(10, 10, "< script javascript <<<jjj")), reference_policy()).ok());
}

TEST(Content, ImagePixelsTable) {
    EXPECT_EQ(image_pixels(png(640, 480)), 640u * 480u);
    EXPECT_EQ(image_pixels(gif(300, 2)), 600u);
    EXPECT_EQ(image_pixels(jpeg(800, 600)), 480000u);
    EXPECT_EQ(image_pixels(png(0xFFFFFFFFu, 0xFFFFFFFFu)), 0xFFFFFFFFull * 0xFFFFFFFFull);
    EXPECT_FALSE(image_pixels("").has_value());
    EXPECT_FALSE(image_pixels(png(10, 10).substr(0, 20)).has_value());
    EXPECT_FALSE(image_pixels(jpeg(10, 10).substr(0, 22)).has_value());
    EXPECT_FALSE(image_pixels(std::string("\xFF\xD8\xFF\xE0\x00\x01", 6)).has_value());
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "bulwark-store-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path); }
};

TEST(Storage, StoreUnderRandomPrivateNameAndServeInertly) {
    TempDir dir;
    std::string bytes = png(32, 32);
    std::string body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.png\r\n\r\n" +
                       bytes + "\r\n--b--\r\n";
    auto received = receive("multipart/form-data; boundary=b", body, {.folder = dir.path});
    ASSERT_TRUE(received.ok());
    ReceivedFile* file = received->file("file");
    ASSERT_NE(file, nullptr);
    auto checked = check_content(*file, reference_policy());
    ASSERT_TRUE(checked.ok());
    auto stored = store(std::move(*file), *checked, "user-42", dir.path);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->owner, "user-42");
    EXPECT_EQ(stored->display_name, "resume_x.png");
    EXPECT_EQ(stored->size, bytes.size());
    EXPECT_EQ(stored->content_type, "image/png");
    EXPECT_EQ(stored->id.size(), 43u);
    auto path = stored_path(dir.path, stored->id);
    ASSERT_TRUE(path.has_value());
    struct stat st {};
    ASSERT_EQ(::stat(path->c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(*path, std::ios::binary);
    std::string on_disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(on_disk, bytes);
    received = Error::malformed;  // the stored file is no longer a temporary: it stays
    EXPECT_TRUE(fs::exists(*path));

    auto headers = download_headers(*stored);
    auto header = [&](const std::string& name) {
        for (const auto& [k, v] : headers)
            if (k == name) return v;
        return std::string("<missing>");
    };
    EXPECT_EQ(header("Content-Type"), "image/png");
    EXPECT_EQ(header("Content-Disposition"), "attachment; filename=\"resume_x.png\"; filename*=UTF-8''resume_x.png");
    EXPECT_EQ(header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(header("Content-Security-Policy"), "sandbox; default-src 'none'");
}

TEST(Storage, DownloadHeadersEncodeAnyName) {
    StoredFile f{"id", "o", "a \"b\";\r\n\xC3\xA9.txt", 1, ""};
    auto headers = download_headers(f);
    EXPECT_EQ(headers[0].second, "application/octet-stream");
    EXPECT_EQ(headers[1].second, "attachment; filename=\"a__b______.txt\"; filename*=UTF-8''a%20%22b%22%3B%0D%0A%C3%A9.txt");
    StoredFile empty{"id", "o", "", 0, "text/plain"};
    EXPECT_EQ(download_headers(empty)[1].second, "attachment; filename=\"download\"; filename*=UTF-8''download");
}

TEST(Storage, StoredPathRefusesCraftedIds) {
    const char* bad[] = {"", "../../etc/passwd", "..", "abc", "a/bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP",
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR", ".bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"};
    for (const char* id : bad) EXPECT_FALSE(stored_path("/srv/uploads", id).has_value()) << id;
    EXPECT_TRUE(stored_path("/srv/uploads", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ-_01234").has_value());
}

}  // namespace
}  // namespace bulwark::upload
