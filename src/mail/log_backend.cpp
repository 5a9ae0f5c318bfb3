// log_backend.cpp: development mail to the console, with control characters made visible.
#include <bulwark/mail.hpp>

#include <cerrno>
#include <stdexcept>
#include <unistd.h>

namespace bulwark::mail {
namespace {

// printable: keeps newlines and tabs so the mail reads as a mail, shows every other control
// byte as \xNN so a name or link cannot move the cursor or retitle the terminal.
std::string printable(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

LogBackend::LogBackend(Environment environment, int fd) : fd_(fd) {
    if (environment == Environment::production)
        throw std::invalid_argument("the console mail backend is for development; set SMTP_URL in production");
}

Result<void, SendError> LogBackend::send(const Message& message) {
    if (!validate(message)) return SendError::invalid_message;
    std::string text = "---------- mail (development; not sent) ----------\n";
    text += "From: " + printable(message.from) + "\nTo: " + printable(message.to) +
            "\nSubject: " + printable(message.subject) + "\n\n" + printable(message.text_body);
    if (text.back() != '\n') text += '\n';
    text += "---------------------------------------------------\n";
    std::lock_guard lock(mutex_);
    std::string_view rest = text;
    while (!rest.empty()) {
        const ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return SendError::server_error;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace bulwark::mail
