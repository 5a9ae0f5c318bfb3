// parse_test.cpp: the Flask-Limiter grammar, good strings and a table of bad ones.
#include <bulwark/ratelimit.hpp>

#include <gtest/gtest.h>

#include <stdexcept>

namespace bulwark::ratelimit {
namespace {

using namespace std::chrono_literals;

TEST(Parse, GoodStrings) {
    struct Case { const char* name; const char* text; std::vector<Limit> want; };
    const Case cases[] = {
        {"per_minute", "5 per minute", {{5, 1, Unit::minute}}},
        {"slash_hour", "100/hour", {{100, 1, Unit::hour}}},
        {"two_limits", "200 per day; 50 per hour", {{200, 1, Unit::day}, {50, 1, Unit::hour}}},
        {"multiples", "10 per 5 minutes", {{10, 5, Unit::minute}}},
        {"plural_without_multiple", "3 per seconds", {{3, 1, Unit::second}}},
        {"upper_case", "5 PER Minute", {{5, 1, Unit::minute}}},
        {"tight_slash", "1/second", {{1, 1, Unit::second}}},
        {"spaced_slash", "7 / 2 days", {{7, 2, Unit::day}}},
        {"comma_and_pipe", "1/second, 10/minute | 100/hour",
         {{1, 1, Unit::second}, {10, 1, Unit::minute}, {100, 1, Unit::hour}}},
        {"month_and_year", "1000 per month;5000 per year", {{1000, 1, Unit::month}, {5000, 1, Unit::year}}},
        {"tabs", "\t5\tper\tminute\t", {{5, 1, Unit::minute}}},
    };
    for (const auto& c : cases) {
        auto r = parse(c.text);
        ASSERT_TRUE(r) << c.name << ": " << r.error().message;
        EXPECT_EQ(*r, c.want) << c.name;
    }
}

TEST(Parse, PeriodsAndText) {
    EXPECT_EQ((Limit{5, 1, Unit::minute}.period()), 60s);
    EXPECT_EQ((Limit{10, 5, Unit::minute}.period()), 300s);
    EXPECT_EQ((Limit{1, 1, Unit::month}.period()), 30 * 24h);
    EXPECT_EQ((Limit{1, 1, Unit::year}.period()), 360 * 24h);
    EXPECT_EQ((Limit{10, 5, Unit::minute}.text()), "10 per 5 minutes");
    EXPECT_EQ((Limit{5, 1, Unit::hour}.text()), "5 per hour");
}

TEST(Parse, BadStringsAreRefusedWithAReason) {
    struct Case { const char* name; std::string text; ParseError code; };
    const Case cases[] = {
        {"empty", "", ParseError::empty},
        {"spaces", "   ", ParseError::empty},
        {"trailing_separator", "5 per minute;", ParseError::empty},
        {"double_separator", "5 per minute;;1/second", ParseError::empty},
        {"word_count", "five per minute", ParseError::bad_amount},
        {"zero", "0 per minute", ParseError::bad_amount},
        {"negative", "-1 per minute", ParseError::bad_amount},
        {"huge", "99999999999999999999 per minute", ParseError::bad_amount},
        {"decimal", "1.5 per minute", ParseError::bad_separator},
        {"no_per", "5 minute", ParseError::bad_separator},
        {"per_without_unit", "5 per", ParseError::bad_unit},
        {"unknown_unit", "5 per fortnight", ParseError::bad_unit},
        {"unit_prefix", "5 per min", ParseError::bad_unit},
        {"zero_multiple", "5 per 0 minutes", ParseError::bad_multiple},
        {"window_too_long", "5 per 31 years", ParseError::bad_multiple},
        {"trailing_text", "5 per minute please", ParseError::trailing},
        {"nul_byte", std::string("5 per minute\0x", 14), ParseError::trailing},
        {"too_long", std::string(2000, ' ') + "5/second", ParseError::too_long},
        {"too_many", [] { std::string s; for (int i = 0; i < 17; ++i) s += "1/second;"; s.pop_back(); return s; }(),
         ParseError::too_long},
    };
    for (const auto& c : cases) {
        auto r = parse(c.text);
        ASSERT_FALSE(r) << c.name;
        EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
        EXPECT_FALSE(r.error().message.empty());
    }
}

TEST(Parse, MessageNamesTheItem) {
    auto r = parse("5 per minute; 3 per fortnight");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("3 per fortnight"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("unknown unit"), std::string::npos);
}

TEST(Parse, ParseOrThrowRefusesToStart) {
    EXPECT_THROW(parse_or_throw("5 per fortnight"), std::invalid_argument);
    EXPECT_EQ(parse_or_throw("5 per minute").size(), 1u);
}

}  // namespace
}  // namespace bulwark::ratelimit
