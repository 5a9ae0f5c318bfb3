// safe_next: an attack corpus of open-redirect tricks, and the local paths that must pass.
#include <bulwark/auth.hpp>

#include <gtest/gtest.h>

namespace bulwark::auth {
namespace {

TEST(SafeNext, LocalPathsPass) {
    const char* cases[] = {
        "/", "/profile", "/a/b/c?x=1&y=2", "/search?q=a%20b", "/path#frag", "/a:b", "/~user/",
        "/caf%C3%A9", "/reports/2024-01.csv", "/a?next=/b",
    };
    for (const char* c : cases) {
        auto r = safe_next(c);
        ASSERT_TRUE(r) << c;
        EXPECT_EQ(*r, c);
    }
}

TEST(SafeNext, AttackCorpusIsRefused) {
    const struct {
        const char* name;
        std::string value;
    } cases[] = {
        {"empty", ""},
        {"protocol_relative", "//evil.example"},
        {"triple_slash", "///evil.example"},
        {"slash_backslash", "/\\evil.example"},
        {"backslash_slash", "\\/evil.example"},
        {"double_backslash", "\\\\evil.example"},
        {"backslash_inside", "/a\\b"},
        {"http", "http://evil.example"},
        {"https", "https://evil.example/"},
        {"javascript", "javascript:alert(1)"},
        {"javascript_upper", "JaVaScRiPt:alert(1)"},
        {"data", "data:text/html,<script>alert(1)</script>"},
        {"relative", "evil.example"},
        {"dot_relative", "./x"},
        {"encoded_slashes", "/%2F%2Fevil.example"},
        {"encoded_slash_lower", "/%2f%2fevil.example"},
        {"encoded_backslash", "/%5Cevil.example"},
        {"encoded_backslash_lower", "/%5cevil.example"},
        {"encoded_backslash_later", "/a/%5C"},
        {"double_encoded_slash", "/%252F%252Fevil.example"},
        {"triple_encoded", "/%25252F%25252Fevil.example"},
        {"encoded_too_deep", "/%2525252525252F"},
        {"space_then_slash", "/ /evil.example"},
        {"tab_inside", "/\t/evil.example"},
        {"newline_inside", "/\n/evil.example"},
        {"cr_inside", "/\r/evil.example"},
        {"encoded_tab", "/%09/evil.example"},
        {"encoded_newline", "/%0A/evil.example"},
        {"encoded_cr_lf_header", "/%0D%0ASet-Cookie:x=y"},
        {"encoded_space_slash", "/%20/evil.example"},
        {"leading_space", " /path"},
        {"trailing_space", "/path "},
        {"nul", std::string("/a\0b", 4)},
        {"encoded_nul", "/a%00b"},
        {"del", "/a\x7F"},
        {"non_ascii_raw", "/caf\xC3\xA9"},
        {"fullwidth_solidus", "/\xEF\xBC\x8F\xEF\xBC\x8F" "evil.example"},
        {"bad_escape", "/%zz"},
        {"truncated_escape", "/%2"},
        {"lone_percent", "/100%"},
        {"over_long", "/" + std::string(kMaxNext, 'a')},
        {"scheme_relative_mixed", "/\\/evil.example"},
    };
    for (const auto& c : cases) EXPECT_FALSE(safe_next(c.value)) << c.name;
}

TEST(SafeNext, LongestAllowed) {
    EXPECT_TRUE(safe_next("/" + std::string(kMaxNext - 1, 'a')));
}

}  // namespace
}  // namespace bulwark::auth
