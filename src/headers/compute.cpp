// The per-response headers. compute is on every response's path, so it only concatenates
// strings that validate_policy has already checked.
#include <bulwark/headers.hpp>
#include <bulwark/crypto.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace bulwark::headers {
namespace {

bool iequal(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        const auto lx = (x >= 'A' && x <= 'Z') ? x - 'A' + 'a' : x;
        const auto ly = (y >= 'A' && y <= 'Z') ? y - 'A' + 'a' : y;
        return lx == ly;
    });
}

void check_value(std::string_view header, const std::optional<std::string>& value) {
    if (!value) return;
    const bool bad = value->empty() || value->size() > 4096 || std::any_of(value->begin(), value->end(), [](char c) {
                         const auto u = static_cast<unsigned char>(c);
                         return (u < 0x20 && c != '\t') || u == 0x7f;
                     });
    if (bad) throw ConfigError(std::string(header) + ": the value is empty, too long or has control characters");
}

// kNonceChar: the bytes of base64 and base64url (CSP3 nonce-source grammar), as a table
// because every response's nonce is checked.
constexpr std::array<bool, 256> kNonceChar = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[static_cast<std::size_t>(c)] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                             (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '+' ||
                                             c == '/' || c == '=';
    return table;
}();

// A nonce is base64 / base64url only (CSP3 nonce-source grammar); anything else is not used.
bool valid_nonce(std::string_view nonce) {
    return !nonce.empty() && nonce.size() <= 128 && std::all_of(nonce.begin(), nonce.end(), [](char c) {
               return kNonceChar[static_cast<unsigned char>(c)];
           });
}

}  // namespace

void validate_policy(const Policy& p) {
    check_value("X-Content-Type-Options", p.content_type_options);
    check_value("X-Frame-Options", p.frame_options);
    check_value("Referrer-Policy", p.referrer_policy);
    check_value("Permissions-Policy", p.permissions_policy);
    check_value("Cross-Origin-Opener-Policy", p.cross_origin_opener_policy);
    check_value("Cross-Origin-Resource-Policy", p.cross_origin_resource_policy);
    check_value("X-XSS-Protection", p.xss_protection);
    check_value("Cache-Control", p.logged_in_cache_control);
    check_value("Clear-Site-Data", p.logout_clear_site_data);
    if (p.hsts) {
        if (p.hsts->max_age.count() < 0) throw ConfigError("HSTS: max-age must not be negative");
        if (p.hsts->preload && (p.hsts->max_age < std::chrono::seconds{31536000} || !p.hsts->include_subdomains))
            throw ConfigError("HSTS: preload needs max-age of at least one year and includeSubDomains");
    }
}

std::string make_nonce() { return crypto::public_random_id(); }

namespace {

// ListSink collects what compute_into emits, for compute.
class ListSink final : public HeaderSink {
public:
    explicit ListSink(HeaderList& out) : out_(out) {}
    void add(std::string_view name, std::string_view value) override { out_.emplace_back(name, value); }

private:
    HeaderList& out_;
};

// add_fixed names the headers that do not depend on the response, for compute_into and
// fixed_headers alike, so the two cannot drift apart.
template <class Add>
void add_fixed(const Policy& p, Add&& add) {
    add("X-Content-Type-Options", p.content_type_options);
    add("X-Frame-Options", p.frame_options);
    add("Referrer-Policy", p.referrer_policy);
    add("Permissions-Policy", p.permissions_policy);
    add("Cross-Origin-Opener-Policy", p.cross_origin_opener_policy);
    add("Cross-Origin-Resource-Policy", p.cross_origin_resource_policy);
    add("X-XSS-Protection", p.xss_protection);
}

}  // namespace

// must_strip looks at the length first: it runs for every field of every response, and almost
// none of them is one of these.
bool must_strip(std::string_view name) noexcept {
    switch (name.size()) {
        case 6: return iequal(name, "server");
        case 11: return iequal(name, "x-generator");
        case 12: return iequal(name, "x-powered-by");
        case 16: return iequal(name, "x-aspnet-version");
        case 19: return iequal(name, "x-aspnetmvc-version");
        default: return false;
    }
}

HeaderList fixed_headers(const Policy& p) {
    HeaderList out;
    add_fixed(p, [&](std::string_view name, const std::optional<std::string>& value) {
        if (value) out.emplace_back(name, *value);
    });
    return out;
}

HeaderList compute(const Policy& p, const ResponseFacts& f) {
    HeaderList out;
    out.reserve(12);
    ListSink sink(out);
    compute_into(p, f, sink);
    return out;
}

void compute_into(const Policy& p, const ResponseFacts& f, HeaderSink& sink) {
    const auto taken = [&](std::string_view name) {
        return std::any_of(f.existing.begin(), f.existing.end(), [&](std::string_view e) { return iequal(e, name); });
    };
    const auto add = [&](std::string_view name, const std::optional<std::string>& value) {
        if (value && !taken(name)) sink.add(name, *value);
    };
    if (p.csp) {
        // Without a usable nonce the nonce sources are left out (never a fixed placeholder an
        // attacker could copy), so scripts fail closed while the rest of the policy still applies.
        const auto name = p.csp->header_name();
        if (!taken(name)) sink.add(name, p.csp->render(valid_nonce(f.nonce) ? f.nonce : std::string_view{}));
    }
    if (!f.fixed_added_by_caller) add_fixed(p, add);
    if (p.hsts && f.is_https) {
        // RFC 6797 §7.2: HSTS over plain HTTP is ignored by browsers and only leaks intent.
        std::string v = "max-age=" + std::to_string(p.hsts->max_age.count());
        if (p.hsts->include_subdomains) v += "; includeSubDomains";
        if (p.hsts->preload) v += "; preload";
        if (!taken("Strict-Transport-Security")) sink.add("Strict-Transport-Security", v);
    }
    if (f.logged_in || f.logout) add("Cache-Control", p.logged_in_cache_control);
    if (f.logout) add("Clear-Site-Data", p.logout_clear_site_data);
}

}  // namespace bulwark::headers
