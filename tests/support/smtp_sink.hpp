// smtp_sink.hpp: a Python SMTP sink (Debian's python3-aiosmtpd, directly or through
// tests/support/smtp_sink.py) as a child process on a free loopback port, for tests that send
// real mail. It gets a fresh folder to write what it receives into; both the process (SIGTERM)
// and the folder go when the SmtpSinkProcess is destroyed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace bulwark::test_support {

// free_loopback_port: a port on 127.0.0.1 that nothing listened on a moment ago, or -1.
inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

// can_connect: something accepts connections on 127.0.0.1:port.
inline bool can_connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// SmtpSinkProcess starts the sink that `command` names for a port and a folder, and waits up
// to 10 s for it to accept connections; up() says whether it did.
class SmtpSinkProcess {
public:
    using Command = std::function<std::vector<std::string>(int port, const std::filesystem::path& dir)>;

    explicit SmtpSinkProcess(const Command& command) {
        std::string tmpl = (std::filesystem::temp_directory_path() / "bulwark-sink-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) return;
        dir_ = tmpl;
        port_ = free_loopback_port();
        if (port_ <= 0) return;
        std::vector<std::string> args = command(port_, dir_);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) pid_ = -1;
        for (int i = 0; i < 200 && pid_ > 0 && !can_connect(port_); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ~SmtpSinkProcess() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        std::error_code ec;
        if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    }
    SmtpSinkProcess(const SmtpSinkProcess&) = delete;
    SmtpSinkProcess& operator=(const SmtpSinkProcess&) = delete;

    bool up() const { return pid_ > 0 && can_connect(port_); }
    int port() const { return port_; }
    // dir: the folder the sink writes into.
    const std::filesystem::path& dir() const { return dir_; }
    // url: the SMTP_URL of the sink (plain SMTP on loopback, so STARTTLS off).
    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_) + "?starttls=off"; }

private:
    std::filesystem::path dir_;
    int port_ = -1;
    pid_t pid_ = -1;
};

}  // namespace bulwark::test_support
