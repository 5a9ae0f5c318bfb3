// bench_upload_limit: the machine's limit for the upload row of `make bench`.
//
// The least a server can do to store an uploaded body: read the request's header block, then
// recv() the Content-Length bytes into one 1 MiB buffer and write() each read to a file, fsync()
// it (Bulwark's upload store promises the file is on disk before it answers 201), unlink it and
// answer 201. No multipart decoding, no content checks, no limits, no timeouts: its CPU time per
// upload is the floor that Bulwark's is compared against. A request without a body (the harness's
// readiness probe) gets an empty 200. One connection at a time, loopback only; it stops on
// SIGINT/SIGTERM.
//
//     bench_upload_limit PORT DIR   (binds 127.0.0.1; the files are written in DIR)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t kBufferSize = 1 << 20;
constexpr std::size_t kMaxHeaderBlock = 64 * 1024;

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// The Content-Length of a header block, or 0 when there is none.
std::size_t content_length(std::string_view head) {
    std::string lower(head);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    return std::strtoull(lower.c_str() + at + 17, nullptr, 10);
}

void serve(int client, const std::string& folder, std::vector<char>& buffer) {
    std::size_t filled = 0;
    std::size_t head_end = std::string_view::npos;
    while (head_end == std::string_view::npos) {
        if (filled == kMaxHeaderBlock) return;
        const ssize_t n = ::recv(client, buffer.data() + filled, kMaxHeaderBlock - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        filled += static_cast<std::size_t>(n);
        head_end = std::string_view(buffer.data(), filled).find("\r\n\r\n");
    }
    const std::size_t body_start = head_end + 4;
    std::size_t left = content_length(std::string_view(buffer.data(), body_start));
    if (left == 0) {
        send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    std::string path = folder + "/upload-XXXXXX";
    const int file = ::mkstemp(path.data());
    if (file < 0) return;
    bool ok = true;
    const std::size_t already = std::min(left, filled - body_start);
    ok = write_all(file, buffer.data() + body_start, already);
    left -= already;
    while (ok && left > 0) {
        const ssize_t n = ::recv(client, buffer.data(), std::min(left, buffer.size()), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { ok = false; break; }
        ok = write_all(file, buffer.data(), static_cast<std::size_t>(n));
        left -= static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(file) == 0;
    ::close(file);
    ::unlink(path.c_str());
    send_all(client, ok ? "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench_upload_limit PORT DIR\n");
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;  // no SA_RESTART: accept() returns EINTR and the loop ends
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[1])));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 64) != 0) {
        std::perror("bench_upload_limit: bind/listen");
        return 1;
    }
    const std::string folder = argv[2];
    std::vector<char> buffer(kBufferSize);
    while (!stop_requested) {
        const int client = ::accept(listener, nullptr, nullptr);
        if (client < 0) continue;
        serve(client, folder, buffer);
        ::close(client);
    }
    ::close(listener);
    return 0;
}
