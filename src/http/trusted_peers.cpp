#include "trusted_peers.hpp"

#include <vector>

namespace bulwark {

void TrustedPeers::resolve(Request& req, const std::string& peer, bool connection_is_https) const {
    // The common case, no proxy configured: the socket decides, and no header is even read.
    if (proxies_.empty()) return req.set_client(peer, connection_is_https);
    std::vector<std::string_view> forwarded, xff, proto;
    for (const auto& [name, value] : req.headers().fields()) {
        if (iequals(name, "forwarded")) forwarded.push_back(value);
        else if (iequals(name, "x-forwarded-for")) xff.push_back(value);
        else if (iequals(name, "x-forwarded-proto")) proto.push_back(value);
    }
    config::ProxyView view;
    view.peer_address = peer;
    view.connection_scheme = connection_is_https ? config::Scheme::https : config::Scheme::http;
    view.forwarded = forwarded;
    view.x_forwarded_for = xff;
    view.x_forwarded_proto = proto;
    const config::ClientInfo client = config::resolve_client(proxies_, mode_, view);
    req.set_client(client.address, client.scheme == config::Scheme::https);
}

}  // namespace bulwark
