// The machine's limit for one streamed upload: what the kernel alone costs to take a body off a
// loopback socket and put it in a file, with no HTTP beyond the request line and Content-Length,
// no multipart parsing and no checks. bench/upload/upload_1g.py runs it next to `bulwark serve`
// so Bulwark's CPU per upload can be quoted against it:
//
//     bench_upload --limit-server --port 18290 --dir /tmp/folder [--no-fsync] [--no-writeback]
//
// Serves one connection at a time, forever (the bench kills it): a request without
// Content-Length gets 200 "ok" (the bench's readiness probe); one with it has its body read with
// recv(2) into a 1 MiB buffer and written with write(2) to a new file in --dir, fsync'd (as
// Bulwark's upload is before its 201) unless --no-fsync, then 201. Like Bulwark's UploadSink it
// starts the kernel's writeback every 8 MiB (sync_file_range, no waiting) unless --no-writeback,
// so both pay for the disk the same way. Loopback only; a bench tool,
// not a server: a malformed request is simply dropped.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace bench_upload {
namespace {

constexpr std::size_t kBufferBytes = 1024 * 1024;
constexpr std::size_t kHeaderLimit = 64 * 1024;

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

// content_length: the value of the Content-Length header in a header block, or -1.
long long content_length(std::string_view head) {
    std::size_t at = 0;
    while ((at = head.find("\r\n", at)) != std::string_view::npos) {
        at += 2;
        constexpr std::string_view kName = "content-length:";
        if (head.size() - at < kName.size()) break;
        bool match = true;
        for (std::size_t i = 0; i < kName.size() && match; ++i) {
            char c = head[at + i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            match = c == kName[i];
        }
        if (!match) continue;
        std::size_t v = at + kName.size();
        while (v < head.size() && head[v] == ' ') ++v;
        long long value = -1;
        const auto [end, ec] = std::from_chars(head.data() + v, head.data() + head.size(), value);
        return ec == std::errc{} ? value : -1;
    }
    return -1;
}

constexpr unsigned long long kWritebackBytes = 8 * 1024 * 1024;

void serve_one(int client, const std::string& dir, bool sync, bool writeback, std::vector<char>& buffer,
               unsigned serial) {
    std::size_t have = 0;
    std::size_t end = std::string_view::npos;
    while (end == std::string_view::npos) {
        if (have >= kHeaderLimit) return;
        const ssize_t n = ::recv(client, buffer.data() + have, kHeaderLimit - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        have += static_cast<std::size_t>(n);
        end = std::string_view(buffer.data(), have).find("\r\n\r\n");
    }
    const std::string_view head(buffer.data(), end + 2);
    const long long length = content_length(head);
    if (length < 0) {
        send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        return;
    }
    const std::string path = dir + "/limit-" + std::to_string(::getpid()) + "-" + std::to_string(serial);
    const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (file < 0) return;
    auto left = static_cast<unsigned long long>(length);
    std::size_t first = have - (end + 4);
    if (first > left) first = static_cast<std::size_t>(left);
    bool ok = write_all(file, buffer.data() + end + 4, first);
    left -= first;
    while (ok && left > 0) {
        const std::size_t want = left < kBufferBytes ? static_cast<std::size_t>(left) : kBufferBytes;
        const ssize_t n = ::recv(client, buffer.data(), want, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        ok = write_all(file, buffer.data(), static_cast<std::size_t>(n));
        const unsigned long long before = static_cast<unsigned long long>(length) - left;
        left -= static_cast<unsigned long long>(n);
        const unsigned long long after = static_cast<unsigned long long>(length) - left;
        if (writeback && after / kWritebackBytes != before / kWritebackBytes)
            ::sync_file_range(file, 0, static_cast<off_t>(after / kWritebackBytes * kWritebackBytes),
                              SYNC_FILE_RANGE_WRITE);
    }
    if (ok && sync) ok = ::fsync(file) == 0;
    ok = ::close(file) == 0 && ok;
    if (ok) send_all(client, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
}

}  // namespace

int run_limit_server(int argc, char** argv) {
    int port = 0;
    std::string dir;
    bool sync = true;
    bool writeback = true;
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = std::atoi(argv[++i]);
        } else if (arg == "--dir" && i + 1 < argc) {
            dir = argv[++i];
        } else if (arg == "--no-fsync") {
            sync = false;
        } else if (arg == "--no-writeback") {
            writeback = false;
        } else {
            std::fprintf(stderr, "usage: %s --limit-server --port N --dir FOLDER [--no-fsync] [--no-writeback]\n", argv[0]);
            return 2;
        }
    }
    if (port <= 0 || port > 65535 || dir.empty()) {
        std::fprintf(stderr, "limit server: --port and --dir are required\n");
        return 2;
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, 16) != 0) {
        std::perror("limit server");
        return 1;
    }
    std::fprintf(stderr, "limit server: listening on 127.0.0.1:%d, files in %s%s\n", port, dir.c_str(),
                 sync ? "" : " (no fsync)");
    std::vector<char> buffer(kBufferBytes);
    for (unsigned serial = 0;; ++serial) {
        const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR) continue;
            std::perror("limit server: accept");
            return 1;
        }
        serve_one(client, dir, sync, writeback, buffer, serial);
        ::close(client);
    }
}

}  // namespace bench_upload
