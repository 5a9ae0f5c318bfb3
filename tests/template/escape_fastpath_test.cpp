// escape_fastpath_test.cpp: the HTML escaper scans 16 bytes at a time, copies runs between
// special bytes and appends per 64-byte slice. These tests compare it, through a
// rendered page, with a byte-at-a-time reference: every special byte at every position of
// short and long values, at block and slice boundaries, and empty values. Integers skip the
// escapers where their text passes unchanged; that is checked against the text in each context.
#include "xss_support.hpp"

#include <bulwark/template.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>

namespace bulwark::tmpl {
namespace {

std::string reference_escape(std::string_view s) {
    std::string out;
    for (char ch : s) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            case '\0': out += "\xEF\xBF\xBD"; break;
            default: out += ch;
        }
    }
    return out;
}

constexpr std::string_view kSpecials("&<>\"'\0", 6);

// Both contexts that reach the fast escaper: HTML text and a quoted attribute value.
struct Page {
    Environment env;
    Template text = *env.from_string("<p>{{ v }}</p>", "text");
    Template attr = *env.from_string("<div title=\"{{ v }}\"></div>", "attr");

    void expect_escaped(const std::string& value) {
        std::string want = reference_escape(value);
        auto t = text.render({{"v", Value(value)}});
        ASSERT_TRUE(t);
        EXPECT_EQ(*t, "<p>" + want + "</p>") << "value of " << value.size() << " bytes";
        auto a = attr.render({{"v", Value(value)}});
        ASSERT_TRUE(a);
        EXPECT_EQ(*a, "<div title=\"" + want + "\"></div>") << "value of " << value.size() << " bytes";
    }
};

TEST(HtmlEscapeFastPath, EmptyValue) {
    Page page;
    page.expect_escaped("");
}

TEST(HtmlEscapeFastPath, EverySpecialAtEveryPositionOfShortValues) {
    Page page;
    for (std::size_t len = 1; len <= 70; ++len) {
        for (std::size_t pos = 0; pos < len; ++pos) {
            for (char special : kSpecials) {
                std::string v(len, 'x');
                v[pos] = special;
                page.expect_escaped(v);
            }
        }
    }
}

TEST(HtmlEscapeFastPath, ValuesMadeOnlyOfSpecials) {
    Page page;
    for (std::size_t len = 1; len <= 40; ++len) {
        std::string v;
        for (std::size_t i = 0; i < len; ++i) v += kSpecials[i % kSpecials.size()];
        page.expect_escaped(v);
    }
}

TEST(HtmlEscapeFastPath, EveryByteValue) {
    Page page;
    std::string v;
    for (int b = 0; b < 256; ++b) v += static_cast<char>(b);
    page.expect_escaped(v);
    page.expect_escaped(v.substr(1));  // shifts every byte to another lane
}

TEST(HtmlEscapeFastPath, LongValuesAcrossSliceBoundaries) {
    Page page;
    for (std::size_t pos : {0u, 15u, 16u, 63u, 64u, 65u, 127u, 128u, 4095u, 4096u, 4097u, 9999u}) {
        std::string v(10000, 'y');
        v[pos] = '<';
        v[9999 - pos] = '&';
        page.expect_escaped(v);
    }
    std::string dense;
    for (std::size_t i = 0; i < 20000; ++i) dense += (i % 3 == 0) ? '"' : 'z';
    page.expect_escaped(dense);
    page.expect_escaped(std::string(5000, '\''));  // the worst case: every byte grows to 5
}

TEST(HtmlEscapeFastPath, MultibyteTextIsCopiedUnchanged) {
    Page page;
    page.expect_escaped("h\xC3\xA9llo <w\xC3\xB6rld> \xE2\x80\xA8 & \xF0\x9F\x98\x80\"");
}

TEST(IntegerFastPath, SameOutputAsTheIntegersTextInEveryContext) {
    // JS value contexts print a number, not a string, and CSS strings escape '-': those
    // take the general path and are left out here.
    const std::set<std::string> kNumberDiffers = {"event_handler_value", "script_value", "script_tojson",
                                                  "attr_tojson", "style_string", "sanitized_html"};
    const std::int64_t kInts[] = {0, 7, -42, std::numeric_limits<std::int64_t>::min(),
                                  std::numeric_limits<std::int64_t>::max()};
    std::size_t checked = 0;
    for (const auto& c : testing::xss_contexts()) {
        if (kNumberDiffers.count(c.name)) continue;
        Environment env;
        auto t = env.from_string(std::string(c.before) + "{{ " + c.expr + " }}" + c.after, c.name);
        ASSERT_TRUE(t) << t.error().to_string();
        for (std::int64_t i : kInts) {
            auto as_int = t->render({{"v", Value(i)}});
            auto as_text = t->render({{"v", Value(std::to_string(i))}});
            ASSERT_TRUE(as_int && as_text) << c.name;
            EXPECT_EQ(*as_int, *as_text) << c.name << " " << i;
            ++checked;
        }
    }
    EXPECT_GE(checked, 20u * std::size(kInts));
}

}  // namespace
}  // namespace bulwark::tmpl
