// Server: the listener and the event loops behind App::run. Private to src/http.
#pragma once

#include <bulwark/http.hpp>

#include "trusted_peers.hpp"
#include "worker_pool.hpp"

#include <boost/asio.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace bulwark {

struct ServerState;
class TlsContexts;

class Server {
public:
    // The constructor binds and listens (so a bad address or a taken port fails at start).
    Server(const App& app, const ServerOptions& options);
    ~Server();

    // run serves until stop() or SIGINT/SIGTERM, then returns after in-flight requests end.
    void run();
    // stop is safe from any thread and from a signal-free context.
    void stop();
    std::uint16_t port() const noexcept { return port_; }

private:
    void wait_for_signal();
    void accept();
    void start_session(boost::asio::ip::tcp::socket socket);
    void begin_shutdown();
    void poll_shutdown();
    void return_freed_memory();

    static constexpr std::chrono::seconds kTrimInterval{10};
    static constexpr std::size_t kTrimAfterClosed = 128;

    ServerOptions options_;
    std::unique_ptr<ServerState> state_;
    std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::unique_ptr<boost::asio::signal_set> signals_;
    std::unique_ptr<TlsContexts> tls_;
    std::unique_ptr<boost::asio::steady_timer> shutdown_timer_;
    std::unique_ptr<boost::asio::steady_timer> memory_timer_;
    std::chrono::steady_clock::time_point shutdown_deadline_{};
    std::size_t next_context_ = 0;
    std::uint16_t port_ = 0;
};

}  // namespace bulwark
