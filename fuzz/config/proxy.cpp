// Fuzz the client-address resolver: input split on '\n' into peer, Forwarded,
// X-Forwarded-For and X-Forwarded-Proto. It must never crash, an untrusted peer must always
// win, and a proxied answer must be a real address.
#include <bulwark/config.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto trusted = *bulwark::config::TrustedProxies::parse("10.0.0.0/8, ::1/128, 127.0.0.1");
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> parts;
    while (parts.size() < 4) {
        auto nl = text.find('\n');
        parts.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) { text = {}; break; }
        text.remove_prefix(nl + 1);
    }
    parts.resize(4);
    std::vector<std::string_view> fwd = {parts[1]}, xff = {parts[2]}, xfp = {parts[3]};
    bulwark::config::ProxyView view{parts[0], bulwark::config::Scheme::http, fwd, xff, xfp};
    for (auto mode : {bulwark::config::ProxyHeaders::x_forwarded, bulwark::config::ProxyHeaders::forwarded}) {
        auto info = bulwark::config::resolve_client(trusted, mode, view);
        auto peer = bulwark::config::IpAddress::parse(parts[0]);
        if (!peer || !trusted.contains(*peer)) {
            if (info.via_proxy || info.scheme != bulwark::config::Scheme::http) std::abort();
        } else if (!bulwark::config::IpAddress::parse(info.address)) {
            std::abort();
        }
    }
    // Also the list parsers on the whole input.
    (void)bulwark::config::TrustedProxies::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
