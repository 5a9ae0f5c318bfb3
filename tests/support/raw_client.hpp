// raw_client.hpp: a deliberately dumb HTTP client over a blocking socket, so tests can send
// exactly the bytes an attacker would (smuggling shapes, slow headers, pipelined requests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bulwark/http.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

namespace bulwark::test_support {

class RawClient {
public:
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("connect failed");
    }
    ~RawClient() { if (fd_ >= 0) ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    void send(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            const auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return;  // the server may close early (413, 431): that is what we test
            off += static_cast<std::size_t>(n);
        }
    }

    // read_until_closed reads everything until the server closes or the timeout passes.
    std::string read_until_closed(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
        return read_while([](const std::string&) { return true; }, timeout);
    }

    // read_responses reads until `count` complete responses (by Content-Length) have arrived.
    std::string read_responses(int count, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
        return read_while([count](const std::string& out) { return complete_responses(out) < count; },
                          timeout);
    }

    bool closed() const { return closed_; }

    static int complete_responses(const std::string& data) {
        int count = 0;
        std::size_t pos = 0;
        while (true) {
            const auto end = data.find("\r\n\r\n", pos);
            if (end == std::string::npos) return count;
            std::size_t length = 0;
            const auto cl = data.find("Content-Length: ", pos);
            if (cl != std::string::npos && cl < end) length = std::stoul(data.substr(cl + 16));
            if (data.size() < end + 4 + length) return count;
            pos = end + 4 + length;
            ++count;
        }
    }

private:
    // read_while reads while `more(received)` holds, until the peer closes or the deadline passes.
    template <class More>
    std::string read_while(More more, std::chrono::milliseconds timeout) {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (more(out) && std::chrono::steady_clock::now() < deadline) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buf[65536];
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                break;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

    int fd_ = -1;
    bool closed_ = false;
};

// Reply: one whole response as read off the socket by exchange.
struct Reply {
    int status = 0;  // 0: no status line arrived
    std::string raw;

    std::optional<std::string> header(const std::string& name) const {
        const auto end = raw.find("\r\n\r\n");
        const std::string needle = "\r\n" + name + ": ";
        const auto at = raw.find(needle);
        if (at == std::string::npos || at > end) return std::nullopt;
        const auto from = at + needle.size();
        return raw.substr(from, raw.find("\r\n", from) - from);
    }
    std::string body() const { return raw.substr(std::min(raw.size(), raw.find("\r\n\r\n") + 4)); }
};

// exchange sends one request on a fresh connection (Connection: close) and reads the answer.
// `headers` are whole lines, each ending in CRLF; a POST always carries Content-Length.
inline Reply exchange(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& headers, const std::string& body = {}) {
    RawClient client(port);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers;
    if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    client.send(request + "\r\n" + body);
    Reply r;
    r.raw = client.read_until_closed();
    if (r.raw.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(r.raw.substr(9, 3));
    return r;
}

// RunningServer runs an App on a loopback port in a background thread for one test.
class RunningServer {
public:
    RunningServer(App& app, ServerOptions options = {}) : app_(app) {
        options.host = "127.0.0.1";
        options.port = 0;
        options.access_log = false;
        options.on_listening = [this](std::uint16_t port) {
            std::lock_guard lock(mutex_);
            port_ = port;
            ready_.notify_all();
        };
        thread_ = std::thread([this, options] { app_.run(options); });
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, std::chrono::seconds(10), [this] { return port_ != 0; }))
            throw std::runtime_error("server did not start");
    }
    ~RunningServer() { stop(); }
    void stop() {
        if (thread_.joinable()) {
            app_.stop();
            thread_.join();
        }
    }
    std::uint16_t port() const { return port_; }

private:
    App& app_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace bulwark::test_support
