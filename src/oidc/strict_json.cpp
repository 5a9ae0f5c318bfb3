// The strict reader: Boost.JSON's basic_parser with a handler that builds the value itself, so
// that it can stop at a repeated member name (Boost's own parse keeps the last one silently).
#include "strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

namespace bulwark::oidc::detail {
namespace {

namespace json = boost::json;

class Builder {
public:
    static constexpr std::size_t max_object_size = 1024;
    static constexpr std::size_t max_array_size = 1024;
    static constexpr std::size_t max_key_size = 1024;
    static constexpr std::size_t max_string_size = kMaxDocumentSize;

    bool repeated_name = false;
    json::value root;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        open_.push_back({json::object{}, {}});
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) { return close(); }
    bool on_array_begin(json::error_code&) {
        open_.push_back({json::array{}, {}});
        return true;
    }
    bool on_array_end(std::size_t, json::error_code&) { return close(); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        pending_.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        pending_.append(s.data(), s.size());
        auto& top = open_.back();
        if (top.container.as_object().contains(pending_)) {
            repeated_name = true;
            ec = json::error::syntax;
            return false;
        }
        top.key = std::move(pending_);
        pending_.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        pending_.append(s.data(), s.size());
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        pending_.append(s.data(), s.size());
        json::value v(json::string_view(pending_.data(), pending_.size()));
        pending_.clear();
        return put(std::move(v));
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) { return put(i); }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) { return put(u); }
    bool on_double(double d, json::string_view, json::error_code&) { return put(d); }
    bool on_bool(bool b, json::error_code&) { return put(b); }
    bool on_null(json::error_code&) { return put(nullptr); }
    bool on_comment_part(json::string_view, json::error_code& ec) { return refuse(ec); }
    bool on_comment(json::string_view, json::error_code& ec) { return refuse(ec); }

private:
    struct Open {
        json::value container;
        std::string key;
    };
    static bool refuse(json::error_code& ec) {
        ec = json::error::syntax;
        return false;
    }
    bool put(json::value v) {
        if (open_.empty()) {
            root = std::move(v);
        } else if (auto& top = open_.back(); top.container.is_object()) {
            top.container.as_object().emplace(top.key, std::move(v));
        } else {
            top.container.as_array().push_back(std::move(v));
        }
        return true;
    }
    bool close() {
        json::value v = std::move(open_.back().container);
        open_.pop_back();
        return put(std::move(v));
    }

    std::vector<Open> open_;
    std::string pending_;
};

}  // namespace

Result<boost::json::object, Error> parse_object(std::string_view untrusted_json) {
    if (untrusted_json.size() > kMaxDocumentSize) return Error::too_large;
    json::parse_options options;
    options.max_depth = 16;
    json::basic_parser<Builder> parser(options);
    json::error_code ec;
    std::size_t used = 0;
    try {
        used = parser.write_some(false, untrusted_json.data(), untrusted_json.size(), ec);
    } catch (const std::exception&) {
        return Error::malformed;  // allocation failure or a limit Boost reports by throwing
    }
    if (ec || used != untrusted_json.size() || !parser.done()) return Error::malformed;
    auto& root = parser.handler().root;
    if (!root.is_object()) return Error::malformed;
    return std::move(root.as_object());
}

Result<std::optional<std::string>, Error> string_member(const boost::json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v) return std::optional<std::string>();
    if (!v->is_string()) return Error::malformed;
    return std::optional<std::string>(std::string(v->as_string()));
}

bool is_loopback_host(std::string_view host) noexcept {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

Result<void, Error> check_url(std::string_view url, InsecureHttp insecure) {
    if (url.empty() || url.size() > 2048) return Error::insecure_url;
    auto parsed = boost::urls::parse_absolute_uri(url);
    if (!parsed) return Error::insecure_url;
    if (parsed->has_userinfo() || parsed->encoded_host().empty()) return Error::insecure_url;
    const auto scheme = parsed->scheme();
    if (scheme == "https") return {};
    if (scheme == "http" && insecure == InsecureHttp::allow_loopback_for_testing &&
        is_loopback_host(parsed->encoded_host()))
        return {};
    return Error::insecure_url;
}

}  // namespace bulwark::oidc::detail
