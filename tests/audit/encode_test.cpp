// encode_test.cpp: the line encoder against log forging, terminal escapes and bad UTF-8.
#include <bulwark/audit.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace audit = bulwark::audit;
namespace json = boost::json;
using namespace std::string_literals;

namespace {

std::string encode(std::string_view s) {
    std::string out;
    (void)audit::append_json_string(out, s);
    return out;
}

// No byte in the output may be a control character, and no C1 control, U+2028/9 or bidi
// override may appear raw (as UTF-8).
void expect_inert(const std::string& out) {
    for (unsigned char c : out) EXPECT_FALSE(c < 0x20 || c == 0x7F) << "raw control byte " << int(c);
    for (const char* raw : {"\xC2\x85", "\xC2\x9B", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAE",
                            "\xE2\x81\xA6", "\xEF\xBB\xBF"})
        EXPECT_EQ(out.find(raw), std::string::npos);
}

struct Attack {
    const char* name;
    std::string input;
    std::string encoded;  // exact JSON text expected
    std::string decoded;  // what a JSON parser reads back
};

const Attack kAttacks[] = {
    {"plain", "bob", R"("bob")", "bob"},
    {"crlf_forged_line", "bob\r\n{\"event\":\"authn_login_success\"}",
     R"("bob\r\n{\"event\":\"authn_login_success\"}")", "bob\r\n{\"event\":\"authn_login_success\"}"},
    {"lf_only", "a\nb", R"("a\nb")", "a\nb"},
    {"fake_json_close", "x\"},\"user\":\"admin", R"("x\"},\"user\":\"admin")", "x\"},\"user\":\"admin"},
    {"backslash", "a\\\"b", R"("a\\\"b")", "a\\\"b"},
    {"ansi_clear_screen", "\x1b[2J\x1b[1;1H", R"("\u001b[2J\u001b[1;1H")", "\x1b[2J\x1b[1;1H"},
    {"ansi_title_osc", "\x1b]0;pwned\x07", R"("\u001b]0;pwned\u0007")", "\x1b]0;pwned\x07"},
    {"nul", "a\0b"s, R"("a\u0000b")", "a\0b"s},
    {"tab_bs_del", "\t\b\x7f", R"("\t\u0008\u007f")", "\t\b\x7f"},
    {"c1_csi", "a\xC2\x9B" "2J", R"("a\u009b2J")", "a\xC2\x9B" "2J"},
    {"c1_nel", "a\xC2\x85" "b", R"("a\u0085b")", "a\xC2\x85" "b"},
    {"line_separator", "a\xE2\x80\xA8" "b", R"("a\u2028b")", "a\xE2\x80\xA8" "b"},
    {"paragraph_separator", "\xE2\x80\xA9", R"("\u2029")", "\xE2\x80\xA9"},
    {"bidi_rlo", "user\xE2\x80\xAE" "nimda", R"("user\u202enimda")", "user\xE2\x80\xAE" "nimda"},
    {"bidi_isolate", "\xE2\x81\xA6x", R"("\u2066x")", "\xE2\x81\xA6x"},
    {"bom", "\xEF\xBB\xBFx", R"("\ufeffx")", "\xEF\xBB\xBFx"},
    {"valid_utf8_kept", "Zoë 東京 \xF0\x9F\x94\x92", "\"Zoë 東京 \xF0\x9F\x94\x92\"", "Zoë 東京 \xF0\x9F\x94\x92"},
    {"overlong_slash", "\xC0\xAF", R"("\ufffd\ufffd")", "\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"overlong_newline_3byte", "\xE0\x80\x8A", R"("\ufffd\ufffd\ufffd")",
     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"overlong_quote_4byte", "\xF0\x80\x80\xA2", R"("\ufffd\ufffd\ufffd\ufffd")",
     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"surrogate", "\xED\xA0\x80", R"("\ufffd\ufffd\ufffd")", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"above_max", "\xF4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")",
     "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"truncated_sequence", "a\xE6\x9D", R"("a\ufffd\ufffd")", "a\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"stray_continuation", "\x80x", R"("\ufffdx")", "\xEF\xBF\xBDx"},
    {"invalid_ff", "\xFF\xFE", R"("\ufffd\ufffd")", "\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"truncated_then_newline", "\xE2\x80\n", R"("\ufffd\ufffd\n")", "\xEF\xBF\xBD\xEF\xBF\xBD\n"},
};

}  // namespace

TEST(AuditEncode, AttackTable) {
    for (const auto& a : kAttacks) {
        SCOPED_TRACE(a.name);
        const std::string out = encode(a.input);
        EXPECT_EQ(out, a.encoded);
        expect_inert(out);
        json::value v = json::parse(out);
        EXPECT_EQ(std::string(v.as_string()), a.decoded);
    }
}

TEST(AuditEncode, EveryByteAloneAndInContext) {
    for (int b = 0; b < 256; ++b) {
        const std::string input = "x"s + static_cast<char>(b) + "y";
        const std::string out = encode(input);
        expect_inert(out);
        EXPECT_NO_THROW((void)json::parse(out)) << b;
    }
}

TEST(AuditEncode, CutAtLimitOnACharacterBoundary) {
    std::string out;
    EXPECT_FALSE(audit::append_json_string(out, "abc", 3));
    EXPECT_EQ(out, R"("abc")");
    out.clear();
    EXPECT_TRUE(audit::append_json_string(out, "abcd", 3));
    EXPECT_EQ(out, R"("abc")");
    out.clear();
    // "aé" is 61 C3 A9; a limit of 2 would split é: it is dropped whole, not turned into U+FFFD.
    EXPECT_TRUE(audit::append_json_string(out, "a\xC3\xA9", 2));
    EXPECT_EQ(out, R"("a")");
}

TEST(AuditEncode, TimeIsRfc3339UtcWithMilliseconds) {
    using namespace std::chrono;
    struct Case {
        const char* name;
        sys_time<milliseconds> t;
        const char* text;
    };
    const Case cases[] = {
        {"epoch", sys_time<milliseconds>{}, "1970-01-01T00:00:00.000Z"},
        {"ms", sys_days{2025y / 1 / 2} + 3h + 4min + 5s + 678ms, "2025-01-02T03:04:05.678Z"},
        {"leap_day", sys_days{2024y / 2 / 29} + 23h + 59min + 59s + 999ms, "2024-02-29T23:59:59.999Z"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(audit::format_time(c.t), c.text);
    }
}

TEST(AuditEncode, LineHasEveryPartAndNoForgedKeys) {
    using namespace std::chrono;
    const audit::Field fields[] = {{"reason", "bad\npassword"}, {"attempt", 3}, {"locked", false},
                                   {"user", "admin"}};
    audit::Record r{audit::Event::authn_login_fail, sys_days{2025y / 1 / 2} + 1h, "shop",
                    {"req-1", "203.0.113.7", "bob\r\n{\"event\":\"x\"}"}, fields};
    const std::string line = audit::format_line(r);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    EXPECT_EQ(line,
              R"({"time":"2025-01-02T01:00:00.000Z","app":"shop","event":"authn_login_fail","level":"WARN",)"
              R"("request_id":"req-1","client":"203.0.113.7","user":"bob\r\n{\"event\":\"x\"}",)"
              R"("fields":{"reason":"bad\npassword","attempt":3,"locked":false,"user":"admin"}})"
              "\n");
    auto v = json::parse(line).as_object();
    EXPECT_EQ(v.at("user").as_string(), "bob\r\n{\"event\":\"x\"}");  // the field did not replace it
    EXPECT_EQ(v.at("event").as_string(), "authn_login_fail");
}

TEST(AuditEncode, EmptyContextIsOmittedAndLimitsMarkTruncation) {
    std::vector<std::string> keys;
    for (int i = 0; i < 40; ++i) keys.push_back("k" + std::to_string(i));
    std::vector<audit::Field> many;
    for (int i = 0; i < 40; ++i) many.emplace_back(keys[static_cast<std::size_t>(i)], i);
    const std::string big(5000, 'a');
    audit::Record r{audit::Event::sys_startup, {}, "bulwark", {}, many};
    auto v = json::parse(audit::format_line(r)).as_object();
    EXPECT_FALSE(v.contains("user"));
    EXPECT_FALSE(v.contains("client"));
    EXPECT_FALSE(v.contains("request_id"));
    EXPECT_EQ(v.at("fields").as_object().size(), audit::kMaxFields);
    EXPECT_EQ(v.at("fields").as_object().at("k31").as_int64(), 31);
    EXPECT_EQ(v.at("truncated").as_bool(), true);

    const audit::Field one[] = {{"path", big}};
    audit::Record r2{audit::Event::malicious_excess_404, {}, "bulwark", {"", "", big}, one};
    auto w = json::parse(audit::format_line(r2)).as_object();
    EXPECT_EQ(w.at("user").as_string().size(), audit::kMaxValueBytes);
    EXPECT_EQ(w.at("fields").as_object().at("path").as_string().size(), audit::kMaxValueBytes);
    EXPECT_EQ(w.at("truncated").as_bool(), true);
}
