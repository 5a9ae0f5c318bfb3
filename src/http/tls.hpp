// TlsContexts: the server's TLS settings, reloadable (SIGHUP) without dropping connections:
// new connections take the newest context, open ones keep the one they started with.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace bulwark {

class TlsContexts {
public:
    // Loads the PEM certificate chain and key; throws std::runtime_error at start if unusable.
    TlsContexts(std::string certificate, std::string private_key);

    std::shared_ptr<boost::asio::ssl::context> current() const;
    // reload reads the files again; on failure the old context stays and the reason is returned.
    std::string reload();

private:
    std::string certificate_;
    std::string private_key_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> current_;
};

// make_tls_context: TLS 1.2 and 1.3 only, Mozilla's "intermediate" cipher list.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& certificate,
                                                            const std::string& private_key);

}  // namespace bulwark
