// message_test.cpp: header injection, addresses, and the RFC 5322 / MIME rendering.
#include <bulwark/mail.hpp>

#include <gtest/gtest.h>


namespace mail = bulwark::mail;
using mail::MessageError;
using namespace std::string_literals;

namespace {

mail::Message good() {
    return {"Shop <noreply@shop.example>", "bob@example.com", "Reset your password", "Hello Bob\n"};
}

std::string header(const std::string& data, const std::string& name) {
    const auto start = data.find("\r\n" + name + ": ");
    if (start == std::string::npos) return {};
    const auto from = start + name.size() + 4;
    return data.substr(from, data.find("\r\n", from) - from);
}

std::string body_of(const std::string& data) { return data.substr(data.find("\r\n\r\n") + 4); }

}  // namespace

TEST(MailMessage, HeaderInjectionAttackTable) {
    struct Case {
        const char* name;
        void (*mutate)(mail::Message&);
        MessageError error;
    };
    const Case cases[] = {
        {"to_crlf_bcc", [](mail::Message& m) { m.to = "bob@example.com\r\nBcc: all@evil.example"; }, MessageError::bad_to},
        {"to_lf_only", [](mail::Message& m) { m.to = "bob@example.com\nBcc: all@evil.example"; }, MessageError::bad_to},
        {"to_cr_only", [](mail::Message& m) { m.to = "bob@example.com\rBcc: x@evil.example"; }, MessageError::bad_to},
        {"to_comma_list", [](mail::Message& m) { m.to = "bob@example.com, eve@evil.example"; }, MessageError::bad_to},
        {"to_two_addresses", [](mail::Message& m) { m.to = "Bob <bob@example.com> <eve@evil.example>"; }, MessageError::bad_to},
        {"to_nul", [](mail::Message& m) { m.to = "bob@example.com\0x"s; }, MessageError::bad_to},
        {"to_tab", [](mail::Message& m) { m.to = "bob@example.com\t"; }, MessageError::bad_to},
        {"to_nel_c1", [](mail::Message& m) { m.to = "Bob\xC2\x85 <bob@example.com>"; }, MessageError::bad_to},
        {"to_line_separator", [](mail::Message& m) { m.to = "Bob\xE2\x80\xA8 <bob@example.com>"; }, MessageError::bad_to},
        {"to_name_crlf", [](mail::Message& m) { m.to = "Bob\r\nBcc: eve@evil.example <bob@example.com>"; }, MessageError::bad_to},
        {"to_name_quote", [](mail::Message& m) { m.to = "\"Bob\" x\" <bob@example.com>"; }, MessageError::bad_to},
        {"to_invalid_utf8", [](mail::Message& m) { m.to = "B\xC0\xAF <bob@example.com>"; }, MessageError::bad_to},
        {"to_empty", [](mail::Message& m) { m.to = ""; }, MessageError::bad_to},
        {"to_no_at", [](mail::Message& m) { m.to = "bob"; }, MessageError::bad_to},
        {"to_domain_literal", [](mail::Message& m) { m.to = "bob@[127.0.0.1]"; }, MessageError::bad_to},
        {"to_double_dot", [](mail::Message& m) { m.to = "bob..x@example.com"; }, MessageError::bad_to},
        {"to_leading_dot", [](mail::Message& m) { m.to = ".bob@example.com"; }, MessageError::bad_to},
        {"to_space", [](mail::Message& m) { m.to = "bob smith@example.com"; }, MessageError::bad_to},
        {"to_quoted_local", [](mail::Message& m) { m.to = "\"bob\"@example.com"; }, MessageError::bad_to},
        {"to_bad_label", [](mail::Message& m) { m.to = "bob@-example.com"; }, MessageError::bad_to},
        {"to_empty_label", [](mail::Message& m) { m.to = "bob@example..com"; }, MessageError::bad_to},
        {"to_non_ascii_address", [](mail::Message& m) { m.to = "bøb@example.com"; }, MessageError::bad_to},
        {"to_local_too_long", [](mail::Message& m) { m.to = std::string(65, 'a') + "@example.com"; }, MessageError::bad_to},
        {"to_too_long", [](mail::Message& m) { m.to = "a@" + std::string(300, 'b'); }, MessageError::bad_to},
        {"to_unclosed", [](mail::Message& m) { m.to = "Bob <bob@example.com"; }, MessageError::bad_to},
        {"from_crlf", [](mail::Message& m) { m.from = "noreply@shop.example\r\nReply-To: eve@evil.example"; }, MessageError::bad_from},
        {"from_empty", [](mail::Message& m) { m.from = ""; }, MessageError::bad_from},
        {"subject_crlf_header", [](mail::Message& m) { m.subject = "Hi\r\nBcc: all@evil.example"; }, MessageError::bad_subject},
        {"subject_lf_body_smuggle", [](mail::Message& m) { m.subject = "Hi\n\nfake body"; }, MessageError::bad_subject},
        {"subject_cr", [](mail::Message& m) { m.subject = "Hi\rthere"; }, MessageError::bad_subject},
        {"subject_nul", [](mail::Message& m) { m.subject = "Hi\0"s; }, MessageError::bad_subject},
        {"subject_esc", [](mail::Message& m) { m.subject = "Hi\x1b[2J"; }, MessageError::bad_subject},
        {"subject_del", [](mail::Message& m) { m.subject = "Hi\x7f"; }, MessageError::bad_subject},
        {"subject_c1", [](mail::Message& m) { m.subject = "Hi\xC2\x85"; }, MessageError::bad_subject},
        {"subject_invalid_utf8", [](mail::Message& m) { m.subject = "Hi \xFF"; }, MessageError::bad_subject},
        {"subject_empty", [](mail::Message& m) { m.subject = ""; }, MessageError::bad_subject},
        {"subject_too_long", [](mail::Message& m) { m.subject = std::string(mail::kMaxSubjectBytes + 1, 'a'); }, MessageError::bad_subject},
        {"body_nul", [](mail::Message& m) { m.text_body = "a\0b"s; }, MessageError::bad_body},
        {"body_invalid_utf8", [](mail::Message& m) { m.text_body = "a\xED\xA0\x80"; }, MessageError::bad_body},
        {"body_too_large", [](mail::Message& m) { m.text_body = std::string(mail::kMaxBodyBytes + 1, 'a'); }, MessageError::body_too_large},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto m = good();
        c.mutate(m);
        auto v = mail::validate(m);
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error(), c.error);
        auto f = mail::format(m);
        ASSERT_FALSE(f);
        EXPECT_EQ(f.error(), c.error);
    }
}

TEST(MailMessage, AcceptedAddresses) {
    struct Case {
        const char* input;
        const char* name;
        const char* address;
    };
    const Case cases[] = {
        {"bob@example.com", "", "bob@example.com"},
        {"bob+tag@mail.example.co.uk", "", "bob+tag@mail.example.co.uk"},
        {"o'brien@example.com", "", "o'brien@example.com"},
        {"Bob Smith <bob@example.com>", "Bob Smith", "bob@example.com"},
        {"\"Smith, Bob\" <bob@example.com>", "Smith, Bob", "bob@example.com"},
        {"Zoë <zoe@example.com>", "Zoë", "zoe@example.com"},
        {"<bob@example.com>", "", "bob@example.com"},
        {"dev@localhost", "", "dev@localhost"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        auto m = mail::parse_mailbox(c.input);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->display_name, c.name);
        EXPECT_EQ(m->address, c.address);
    }
}

TEST(MailMessage, FormatsHeaders) {
    using namespace std::chrono;
    auto m = good();
    m.to = "\"Smith, Bob\" <bob@example.com>";
    const auto t = sys_days{2025y / 1 / 2} + 3h + 4min + 5s;
    auto f = mail::format(m, t);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->envelope_from, "noreply@shop.example");
    EXPECT_EQ(f->envelope_to, "bob@example.com");
    const std::string& d = f->data;
    EXPECT_TRUE(d.starts_with("Date: Thu, 02 Jan 2025 03:04:05 +0000\r\n"));
    EXPECT_EQ(header(d, "From"), "Shop <noreply@shop.example>");
    EXPECT_EQ(header(d, "To"), "\"Smith, Bob\" <bob@example.com>");
    EXPECT_EQ(header(d, "Subject"), "Reset your password");
    EXPECT_EQ(header(d, "MIME-Version"), "1.0");
    EXPECT_EQ(header(d, "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(header(d, "Content-Transfer-Encoding"), "quoted-printable");
    const std::string id = header(d, "Message-ID");
    ASSERT_EQ(id.size(), 1 + 32 + 13 + 1);
    EXPECT_EQ(id.substr(33), "@shop.example>");
    EXPECT_EQ(id.front(), '<');
    EXPECT_EQ(id.substr(1, 32).find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(header(d, "Message-ID"), header(mail::format(m, t)->data, "Message-ID"));  // random
    EXPECT_EQ(body_of(d), "Hello Bob\r\n");
    // Every line ends in CRLF; no bare LF or CR anywhere.
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (d[i] == '\n') { EXPECT_EQ(d[i - 1], '\r') << i; }
        if (d[i] == '\r') { EXPECT_EQ(d[i + 1], '\n') << i; }
    }
}

TEST(MailMessage, NonAsciiSubjectAndNameUseEncodedWords) {
    auto m = good();
    m.from = "Café Zoë <noreply@shop.example>";
    m.subject = "Réinitialisez votre mot de passe — 東京のお店からのお知らせです、よろしくお願いします";
    auto f = mail::format(m);
    ASSERT_TRUE(f);
    EXPECT_EQ(header(f->data, "From"), "=?utf-8?B?Q2Fmw6kgWm/Dqw==?= <noreply@shop.example>");
    // The subject folds into several encoded words, each at most 75 characters.
    const auto start = f->data.find("Subject: ") + 9;
    const auto end = f->data.find("\r\nMessage-ID");
    const std::string subject = f->data.substr(start, end - start);
    std::string decoded;
    std::size_t words = 0;
    for (std::size_t at = subject.find("=?utf-8?B?"); at != std::string::npos; at = subject.find("=?utf-8?B?", at)) {
        const auto end = subject.find("?=", at + 10);
        ASSERT_NE(end, std::string::npos);
        ++words;
        EXPECT_LE(end + 2 - at, 75u);
        auto bytes = bulwark::crypto::base64_decode(subject.substr(at + 10, end - at - 10));
        ASSERT_TRUE(bytes);
        const std::string text(bytes->begin(), bytes->end());
        decoded += text;
        // Each word decodes to whole characters on its own (RFC 2047 §5).
        EXPECT_TRUE(mail::validate({"a@b.example", "c@d.example", text, ""}).ok());
        at = end + 2;
    }
    EXPECT_GT(words, 1u);
    EXPECT_EQ(decoded, m.subject);
    EXPECT_NE(subject.find("\r\n "), std::string::npos);  // folded
}

TEST(MailMessage, QuotedPrintableBody) {
    struct Case {
        const char* name;
        std::string body;
        std::string encoded;
    };
    const Case cases[] = {
        {"lf_to_crlf", "a\nb\n", "a\r\nb\r\n"},
        {"cr_and_crlf", "a\rb\r\nc", "a\r\nb\r\nc\r\n"},
        {"equals", "x=1", "x=3D1\r\n"},
        {"utf8", "é", "=C3=A9\r\n"},
        {"trailing_space", "a \nb\t", "a=20\r\nb=09\r\n"},
        {"inner_space_kept", "a b", "a b\r\n"},
        {"smtp_end_of_data", "line\n.\nrest", "line\r\n=2E\r\nrest\r\n"},
        {"leading_dot", ".hidden", "=2Ehidden\r\n"},
        {"dot_after_soft_break", std::string(75, 'a') + ".b", std::string(75, 'a') + "=\r\n=2Eb\r\n"},
        {"control", "a\x1b[2J", "a=1B[2J\r\n"},
        {"empty", "", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto m = good();
        m.text_body = c.body;
        auto f = mail::format(m);
        ASSERT_TRUE(f);
        EXPECT_EQ(body_of(f->data), c.encoded);
    }
}

TEST(MailMessage, LongLinesAreSoftBrokenAt76) {
    auto m = good();
    m.text_body = std::string(200, 'a') + "\n" + std::string(100, '=') + "\nhttps://shop.example/reset/" + std::string(80, 'X');
    auto f = mail::format(m);
    ASSERT_TRUE(f);
    const std::string body = body_of(f->data);
    std::string decoded;
    std::size_t pos = 0;
    while (pos < body.size()) {
        const auto eol = body.find("\r\n", pos);
        const std::string line = body.substr(pos, eol - pos);
        EXPECT_LE(line.size(), 76u);
        if (!line.empty() && line.back() == '=') decoded += line.substr(0, line.size() - 1);
        else decoded += line + "\n";
        pos = eol + 2;
    }
    // Undo =3D to compare with the source.
    std::string plain;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
        if (decoded.compare(i, 3, "=3D") == 0) {
            plain += '=';
            i += 2;
        } else {
            plain += decoded[i];
        }
    }
    EXPECT_EQ(plain, m.text_body + "\n");
}
