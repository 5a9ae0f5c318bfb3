// Origin parsing for the CSRF check: "scheme://host[:port]" into a comparable form.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::csrf::detail {

// Origin is a normalised (scheme, host, port) triple: lower case, default port made explicit,
// so "https://Example.com" and "https://example.com:443" compare equal.
struct Origin {
    std::string scheme;
    std::string host;
    unsigned port = 0;
    bool operator==(const Origin&) const = default;
};

// parse_origin reads an Origin header value (or a trusted-origin setting): exactly
// "scheme://host[:port]", scheme http or https, no userinfo, path, query or fragment.
std::optional<Origin> parse_origin(std::string_view text);
// origin_of_url reads the origin of an absolute http(s) URL (a Referer).
std::optional<Origin> origin_of_url(std::string_view url);
// own_origin makes the request's origin from its scheme and Host header.
std::optional<Origin> own_origin(bool is_https, std::string_view host);

}  // namespace bulwark::csrf::detail
