// TrustedPeers: decides the client address and scheme of a request. Forwarded headers are
// believed only when the socket peer is a configured trusted proxy (config::resolve_client).
#pragma once

#include <bulwark/config.hpp>
#include <bulwark/http.hpp>

#include <string>

namespace bulwark {

class TrustedPeers {
public:
    TrustedPeers() = default;
    TrustedPeers(config::TrustedProxies proxies, config::ProxyHeaders mode)
        : proxies_(std::move(proxies)), mode_(mode) {}

    // resolve sets the request's client address and scheme.
    void resolve(Request& req, const std::string& peer, bool connection_is_https) const;

private:
    config::TrustedProxies proxies_;
    config::ProxyHeaders mode_ = config::ProxyHeaders::x_forwarded;
};

}  // namespace bulwark
