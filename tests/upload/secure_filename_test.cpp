#include <bulwark/upload.hpp>

#include <gtest/gtest.h>

#include <fstream>

namespace bulwark::upload {
namespace {

// unescape undoes Python's unicode_escape into UTF-8 (\\, \t, \n, \r, \xHH, \uHHHH, \UHHHHHHHH).
std::string unescape(const std::string& s) {
    auto put = [](std::string& out, char32_t cp) {
        if (cp < 0x80) out.push_back(static_cast<char>(cp));
        else if (cp < 0x800) { out.push_back(static_cast<char>(0xC0 | (cp >> 6))); out.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
        else if (cp < 0x10000) { out.push_back(static_cast<char>(0xE0 | (cp >> 12))); out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); out.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
        else { out.push_back(static_cast<char>(0xF0 | (cp >> 18))); out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F))); out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); out.push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    };
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) { out.push_back(s[i]); continue; }
        char k = s[++i];
        std::size_t digits = k == 'x' ? 2 : k == 'u' ? 4 : k == 'U' ? 8 : 0;
        if (digits) {
            put(out, static_cast<char32_t>(std::stoul(s.substr(i + 1, digits), nullptr, 16)));
            i += digits;
        } else {
            out.push_back(k == 't' ? '\t' : k == 'n' ? '\n' : k == 'r' ? '\r' : k);
        }
    }
    return out;
}

TEST(SecureFilename, MatchesWerkzeugCorpus) {
    std::ifstream in("tests/upload/fixtures/secure_filename_corpus.tsv");
    ASSERT_TRUE(in) << "run from the source tree";
    std::string line;
    int checked = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') continue;
        std::size_t tab = line.find('\t');
        ASSERT_NE(tab, std::string::npos) << line;
        std::string input = unescape(line.substr(0, tab));
        std::string expected = unescape(line.substr(tab + 1));
        EXPECT_EQ(secure_filename(input), expected) << "input: " << line.substr(0, tab);
        ++checked;
    }
    EXPECT_GT(checked, 600);
}

TEST(SecureFilename, AttackTable) {
    const struct {
        const char* name;
        std::string input;
        std::string expected;
    } cases[] = {
        {"traversal", "../../../etc/passwd", "etc_passwd"},
        {"windows_traversal", "..\\..\\boot.ini", "boot.ini"},
        {"device_name", "CON.txt", "_CON.txt"},
        {"device_name_lower", "aux", "_aux"},
        {"hidden_file", ".htaccess", "htaccess"},
        {"only_dots", "....", ""},
        {"nul_byte", std::string("a\0.php.png", 10), "a.php.png"},
        {"invalid_utf8_dropped", "a\xFF\xC0\xAF" "b.txt", "ab.txt"},
        {"overlong_slash_dropped", "..\xC0\xAF..\xC0\xAF" "x", "x"},
        {"crlf", "a\r\nb.txt", "a_b.txt"},
        {"latin_folded", "r\xC3\xA9sum\xC3\xA9.pdf", "resume.pdf"},
        {"cjk_dropped", "\xE6\x97\xA5\xE6\x9C\xAC.txt", "txt"},
        {"empty", "", ""},
    };
    for (const auto& c : cases) EXPECT_EQ(secure_filename(c.input), c.expected) << c.name;
}

}  // namespace
}  // namespace bulwark::upload
