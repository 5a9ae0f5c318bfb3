// read_password for `bulwark hash-password`: no echo on a terminal (termios), plain stdin
// otherwise, bounded either way.
#include <bulwark/crypto.hpp>
#include <bulwark/password.hpp>

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace bulwark::password {

Result<std::string, Error> read_password(std::string_view prompt) {
    const bool tty = isatty(STDIN_FILENO) == 1;
    termios saved{};
    bool echo_off = false;
    if (tty) {
        std::fwrite(prompt.data(), 1, prompt.size(), stderr);
        std::fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &saved) == 0) {
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    std::string line;
    bool too_long = false, got_any = false, failed = false;
    char c;
    while (true) {
        const ssize_t n = ::read(STDIN_FILENO, &c, 1);
        if (n == 0) break;
        if (n < 0) {
            failed = true;
            break;
        }
        got_any = true;
        if (c == '\n') break;
        if (line.size() > kMaxPasswordBytes) {
            too_long = true;  // keep reading to the end of the line, keep nothing more
            continue;
        }
        line += c;
    }
    if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputc('\n', stderr);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto fail = [&](Error e) -> Result<std::string, Error> {
        crypto::wipe(line.data(), line.size());
        return e;
    };
    if (failed || !got_any) return fail(Error::internal);
    if (too_long || line.size() > kMaxPasswordBytes) return fail(Error::password_too_long);
    if (!valid_utf8(line) || line.find('\0') != std::string::npos)
        return fail(Error::invalid_password);
    return line;
}

}  // namespace bulwark::password
