// bench_epoll_limit: the machine's limit for `make bench`.
//
// A minimal single-threaded epoll HTTP/1.1 server that answers every request with the same
// canned small text response. It parses only enough to count requests (each ends at the first
// "\r\n\r\n"; request bodies are not supported), keeps connections alive and answers pipelined
// requests found in one read with one write. Nothing a real server must do (limits, timeouts,
// routing, headers) is done here: its CPU time per request is the floor that Bulwark's is
// compared against. Loopback only; it stops on SIGINT/SIGTERM.
//
//     bench_epoll_limit [PORT]   (default 8081; binds 127.0.0.1)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 13\r\n"
    "\r\n"
    "Hello, world\n";
constexpr std::size_t kMaxBuffered = 64 * 1024;  // a header block larger than this closes the connection

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

struct Connection {
    std::string in;
    std::string out;
    std::size_t out_sent = 0;
    bool watching_writes = false;  // EPOLLOUT registered
};

bool set_nonblocking(int fd) {
    const int flags = fcntl(fd, F_GETFL, 0);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Appends one response per complete request in `in` and drops those requests from it.
void answer_complete_requests(Connection& c) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = c.in.find("\r\n\r\n", start);
        if (end == std::string::npos) break;
        c.out.append(kResponse);
        start = end + 4;
    }
    c.in.erase(0, start);
}

// Writes what is pending; false when the connection failed.
bool flush(int fd, Connection& c) {
    while (c.out_sent < c.out.size()) {
        const ssize_t n = ::send(fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c.out_sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return true;
        } else {
            return false;
        }
    }
    c.out.clear();
    c.out_sent = 0;
    return true;
}

// Reads until EAGAIN; false when the peer closed or the connection failed.
bool read_all(int fd, Connection& c) {
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            c.in.append(buffer, static_cast<std::size_t>(n));
            if (c.in.size() > kMaxBuffered) return false;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 8081;
    if (port <= 0 || port > 65535) {
        std::fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener, SOMAXCONN) != 0 || !set_nonblocking(listener)) {
        std::perror("bench_epoll_limit: listen");
        return 1;
    }
    const int epoll = ::epoll_create1(0);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = listener;
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    std::fprintf(stderr, "bench_epoll_limit: listening on 127.0.0.1:%d\n", port);

    std::unordered_map<int, std::unique_ptr<Connection>> connections;
    epoll_event events[256];
    while (!stop_requested) {
        const int ready = ::epoll_wait(epoll, events, 256, 500);
        for (int i = 0; i < ready; ++i) {
            const int fd = events[i].data.fd;
            if (fd == listener) {
                for (;;) {
                    const int client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
                    if (client < 0) break;
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event client_event{};
                    client_event.events = EPOLLIN | EPOLLRDHUP;
                    client_event.data.fd = client;
                    epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event);
                    connections[client] = std::make_unique<Connection>();
                }
                continue;
            }
            auto found = connections.find(fd);
            if (found == connections.end()) continue;
            Connection& c = *found->second;
            bool alive = (events[i].events & (EPOLLERR | EPOLLHUP)) == 0;
            if (alive && (events[i].events & (EPOLLIN | EPOLLRDHUP))) {
                alive = read_all(fd, c);
                answer_complete_requests(c);
            }
            if (alive) alive = flush(fd, c);
            if (!alive) {
                epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
                ::close(fd);
                connections.erase(found);
                continue;
            }
            // Wait for writability only while a response is left over (rare on loopback).
            if (c.watching_writes != !c.out.empty()) {
                c.watching_writes = !c.out.empty();
                epoll_event client_event{};
                client_event.events = EPOLLIN | EPOLLRDHUP | (c.watching_writes ? static_cast<unsigned>(EPOLLOUT) : 0u);
                client_event.data.fd = fd;
                epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &client_event);
            }
        }
    }
    for (auto& [fd, connection] : connections) ::close(fd);
    ::close(epoll);
    ::close(listener);
    return 0;
}
