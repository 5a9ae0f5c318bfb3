// message.cpp: address, subject and body checks, and the RFC 5322 / MIME rendering.
//
// Header injection is refused rather than repaired: a CR or LF in a header value is never a
// legitimate input, and stripping it would hide an attack (CWE-93, OWASP "Email Header
// Injection"). https://www.rfc-editor.org/rfc/rfc5322, https://www.rfc-editor.org/rfc/rfc2045
#include <bulwark/mail.hpp>

#include "internal.hpp"

namespace bulwark::mail {
namespace {

bool is_atext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool valid_local_part(std::string_view s) {
    if (s.empty() || s.size() > 64 || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '.') {
            if (s[i + 1] == '.') return false;  // i + 1 < size: the last char is not '.'
        } else if (!is_atext(s[i])) {
            return false;
        }
    }
    return true;
}

bool valid_domain(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = s.find('.', start);
        const std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool valid_addr_spec(std::string_view s) {
    if (s.size() > kMaxAddressBytes) return false;
    const std::size_t at = s.rfind('@');
    if (at == std::string_view::npos) return false;
    return valid_local_part(s.substr(0, at)) && valid_domain(s.substr(at + 1));
}

// has_control: C0, DEL, C1, U+2028/U+2029 (line breaks to some parsers), or invalid UTF-8.
bool has_control_or_bad_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t cp = 0;
        const std::size_t n = detail::utf8_next(s, i, cp);
        if (n == 0) return true;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) return true;
        i += n;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

std::string render_mailbox(const Mailbox& m) {
    if (m.display_name.empty()) return m.address;
    std::string out;
    bool plain = detail::is_ascii(m.display_name);
    bool atoms = plain;
    for (char c : m.display_name) atoms = atoms && (is_atext(c) || c == ' ');
    if (atoms) out = m.display_name;
    else if (plain) out = "\"" + m.display_name + "\"";  // parse_mailbox refused '"' and '\'
    else out = detail::encoded_words(m.display_name);
    return out + " <" + m.address + ">";
}

}  // namespace

std::string_view message_error_name(MessageError e) noexcept {
    switch (e) {
        case MessageError::bad_from: return "bad_from";
        case MessageError::bad_to: return "bad_to";
        case MessageError::bad_subject: return "bad_subject";
        case MessageError::bad_body: return "bad_body";
        case MessageError::body_too_large: return "body_too_large";
    }
    return "unknown";
}

Result<Mailbox, MessageError> parse_mailbox(std::string_view untrusted) {
    constexpr auto bad = MessageError::bad_to;
    if (untrusted.size() > kMaxAddressBytes + 256 || has_control_or_bad_utf8(untrusted)) return bad;
    Mailbox m;
    const std::size_t lt = untrusted.find('<');
    if (lt == std::string_view::npos) {
        if (untrusted.find('>') != std::string_view::npos) return bad;
        m.address = std::string(untrusted);
    } else {
        if (untrusted.back() != '>' || untrusted.find('<', lt + 1) != std::string_view::npos ||
            untrusted.find('>') != untrusted.size() - 1)
            return bad;
        std::string_view name = trim(untrusted.substr(0, lt));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
        if (name.find_first_of("\"\\<>") != std::string_view::npos) return bad;
        m.display_name = std::string(trim(name));
        m.address = std::string(untrusted.substr(lt + 1, untrusted.size() - lt - 2));
    }
    if (!valid_addr_spec(m.address)) return bad;
    return m;
}

Result<void, MessageError> validate(const Message& message) {
    if (!parse_mailbox(message.from)) return MessageError::bad_from;
    if (!parse_mailbox(message.to)) return MessageError::bad_to;
    const auto& subject = message.subject;
    if (subject.empty() || subject.size() > kMaxSubjectBytes || has_control_or_bad_utf8(subject))
        return MessageError::bad_subject;
    if (message.text_body.size() > kMaxBodyBytes) return MessageError::body_too_large;
    if (message.text_body.find('\0') != std::string::npos || !detail::valid_utf8(message.text_body))
        return MessageError::bad_body;
    return {};
}

Result<Formatted, MessageError> format(const Message& message, std::chrono::system_clock::time_point now) {
    if (auto ok = validate(message); !ok) return ok.error();
    const Mailbox from = *parse_mailbox(message.from);
    const Mailbox to = *parse_mailbox(message.to);

    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::string domain = from.address.substr(from.address.rfind('@') + 1);
    const std::string subject = detail::is_ascii(message.subject) ? message.subject
                                                                  : detail::encoded_words(message.subject);
    Formatted f;
    f.envelope_from = from.address;
    f.envelope_to = to.address;
    std::string& d = f.data;
    d.reserve(message.text_body.size() + 512);
    d += "Date: " + detail::rfc5322_date(seconds) + "\r\n";
    d += "From: " + render_mailbox(from) + "\r\n";
    d += "To: " + render_mailbox(to) + "\r\n";
    d += "Subject: " + subject + "\r\n";
    // Message-ID: 128 random bits, so ids never collide and reveal nothing (RFC 5322 §3.6.4).
    d += "Message-ID: <" + crypto::hex_encode(crypto::random_bytes(16)) + "@" + domain + ">\r\n";
    d += "MIME-Version: 1.0\r\n";
    d += "Content-Type: text/plain; charset=utf-8\r\n";
    d += "Content-Transfer-Encoding: quoted-printable\r\n";
    d += "\r\n";
    d += detail::quoted_printable(message.text_body);
    if (d.size() < 2 || d.compare(d.size() - 2, 2, "\r\n") != 0) d += "\r\n";
    return f;
}

}  // namespace bulwark::mail
