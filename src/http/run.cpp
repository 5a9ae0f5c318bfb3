// App::run and App::stop: the bridge from the App to its Server.
#include <bulwark/http.hpp>

#include "server.hpp"

#include <mutex>

namespace bulwark {

struct App::Running {
    std::mutex mutex;
    Server* server = nullptr;
    bool stop_requested = false;
};

std::shared_ptr<App::Running> App::make_running() { return std::make_shared<Running>(); }

void App::add_start_check(std::function<void(const App&)> check) { start_checks_.push_back(std::move(check)); }

void App::check_configuration() const {
    for (const auto& check : start_checks_) check(*this);
}

void App::run(const ServerOptions& options) {
    check_configuration();
    Server server(*this, options);
    {
        std::lock_guard lock(running_->mutex);
        running_->server = &server;
        if (running_->stop_requested) server.stop();
    }
    server.run();
    std::lock_guard lock(running_->mutex);
    running_->server = nullptr;
    running_->stop_requested = false;
}

void App::stop() {
    std::lock_guard lock(running_->mutex);
    if (running_->server) {
        running_->server->stop();
    } else {
        running_->stop_requested = true;
    }
}

}  // namespace bulwark
