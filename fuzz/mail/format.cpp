// format.cpp: arbitrary bytes as address, subject and body. Whatever format() accepts must be
// a header block without a stray CR or LF (no injected header), lines of at most 998 octets
// (RFC 5322 §2.1.1), a quoted-printable body of lines <= 76, and exactly the four headers'
// envelope addresses free of control characters.
#include <bulwark/mail.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace mail = bulwark::mail;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string_view parts[4];
    for (auto& p : parts) {
        const auto cut = in.find('\xFF');
        p = in.substr(0, cut);
        in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
    }
    mail::Message m{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
    (void)mail::parse_mailbox(parts[0]);
    auto f = mail::format(m);
    if (!f) return 0;
    const std::string& d = f->data;
    const auto header_end = d.find("\r\n\r\n");
    if (header_end == std::string::npos) std::abort();
    // Header names: exactly the ones we write, in order (folded lines start with a space).
    static constexpr std::string_view kNames[] = {"Date: ", "From: ", "To: ", "Subject: ", "Message-ID: ",
                                                  "MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: "};
    std::size_t next = 0, pos = 0;
    while (pos <= header_end) {
        const auto eol = d.find("\r\n", pos);
        const std::string_view line(d.data() + pos, eol - pos);
        if (line.size() > 998) std::abort();
        for (char c : line)
            if (c == '\r' || c == '\n' || c == '\0') std::abort();
        if (line.empty() || line.front() != ' ') {
            if (next >= std::size(kNames) || !line.starts_with(kNames[next])) std::abort();
            ++next;
        }
        pos = eol + 2;
    }
    if (next != std::size(kNames)) std::abort();
    for (pos = header_end + 4; pos < d.size();) {
        const auto eol = d.find("\r\n", pos);
        if (eol == std::string::npos || eol - pos > 76) std::abort();
        if (d[pos] == '.') std::abort();  // never a line SMTP could read as end of data
        for (std::size_t i = pos; i < eol; ++i) {
            const auto c = static_cast<unsigned char>(d[i]);
            if ((c < 0x20 && c != '\t') || c > 0x7E) std::abort();  // QP output: 7-bit printable and tab
        }
        pos = eol + 2;
    }
    for (const auto& a : {f->envelope_from, f->envelope_to})
        for (unsigned char c : a)
            if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>') std::abort();
    return 0;
}
