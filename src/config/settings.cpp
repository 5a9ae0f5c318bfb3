// Typed settings: each variable parsed and checked, with a ConfigError naming the variable
// (never its value) when it is wrong. Production's secret-key rule lives here too.
#include "settings.hpp"

#include "names.hpp"

#include <cstdio>

namespace bulwark::config::detail {

namespace {

[[noreturn]] void fail(const std::string& message) { throw ConfigError("config: " + message); }

bool has_space_or_control(std::string_view s) {
    for (char c : s) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t max) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (max - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::vector<std::string> split_list(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    auto sep = [](char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < text.size()) {
        while (i < text.size() && sep(text[i])) ++i;
        std::size_t start = i;
        while (i < text.size() && !sep(text[i])) ++i;
        if (i > start) out.emplace_back(text.substr(start, i - start));
    }
    return out;
}

Environment parse_environment(std::string_view v) {
    if (v == "development") return Environment::development;
    if (v == "production") return Environment::production;
    fail("BULWARK_ENV must be `development` or `production`");
}

std::uint16_t parse_port(std::string_view v) {
    auto n = parse_uint(v, 65535);
    if (!n) fail("BULWARK_PORT must be a number from 0 to 65535 (0 picks a free port)");
    return static_cast<std::uint16_t>(*n);
}

std::string parse_host(std::string_view v) {
    if (v.empty() || v.size() > 253 || has_space_or_control(v)) {
        fail("BULWARK_HOST must be an address or host name without spaces");
    }
    return std::string(v);
}

std::size_t parse_max_content_length(std::string_view v) {
    auto n = parse_uint(v, std::uint64_t{1} << 40);
    if (!n || *n == 0) fail("MAX_CONTENT_LENGTH must be a whole number of bytes from 1 to 1 TiB");
    return static_cast<std::size_t>(*n);
}

void check_url_scheme(std::string_view name, std::string_view v,
                      std::initializer_list<std::string_view> schemes) {
    if (has_space_or_control(v)) fail(std::string(name) + " must not contain spaces or control characters");
    for (auto s : schemes) {
        if (v.starts_with(s)) return;
    }
    std::string allowed;
    for (auto s : schemes) {
        if (!allowed.empty()) allowed += ", ";
        allowed += s;
    }
    fail(std::string(name) + " must start with one of: " + allowed);
}

// check_origin: scheme://host[:port] with nothing after, as browsers send in Origin.
bool is_origin(std::string_view o) {
    std::string_view rest;
    if (o.starts_with("https://")) rest = o.substr(8);
    else if (o.starts_with("http://")) rest = o.substr(7);
    else return false;
    if (rest.empty() || rest.size() > 260) return false;
    for (char c : rest) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  c == ':' || c == '[' || c == ']';
        if (!ok) return false;  // upper case, paths, userinfo, wildcards and spaces refused
    }
    return rest.front() != ':' && rest.back() != ':' && rest.back() != '.';
}

std::vector<std::string> parse_origins(std::string_view name, std::string_view v) {
    auto list = split_list(v);
    if (list.size() > 256) fail(std::string(name) + " lists more than 256 origins");
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i] == "*") {
            fail(std::string(name) + ": `*` is not allowed; list each origin (https://app.example.com)");
        }
        if (!is_origin(list[i])) {
            fail(std::string(name) + ": entry " + std::to_string(i + 1) +
                 " is not an origin of the form https://host[:port] (lower case, no path)");
        }
    }
    return list;
}

ProxyHeaders parse_proxy_headers(std::string_view v) {
    if (v == "x-forwarded") return ProxyHeaders::x_forwarded;
    if (v == "forwarded") return ProxyHeaders::forwarded;
    fail("BULWARK_PROXY_HEADERS must be `x-forwarded` or `forwarded`");
}

std::string parse_rate_limit(std::string_view name, std::string_view v) {
    // "<count> per <second|minute|hour|day>" (plural allowed), the notation of route options.
    std::string_view t = trim(v);
    auto space = t.find(' ');
    bool ok = space != std::string_view::npos && parse_uint(t.substr(0, space), 1000000000).value_or(0) > 0;
    if (ok) {
        std::string_view rest = trim(t.substr(space + 1));
        ok = rest.starts_with("per ");
        if (ok) {
            std::string_view unit = trim(rest.substr(4));
            if (unit.ends_with('s')) unit.remove_suffix(1);
            ok = unit == "second" || unit == "minute" || unit == "hour" || unit == "day";
        }
    }
    if (!ok) fail(std::string(name) + " must look like `5 per minute` (second, minute, hour or day)");
    return std::string(t);
}

std::string parse_cookie_name(std::string_view v) {
    bool ok = !v.empty() && v.size() <= 64;
    for (char c : v) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.');
    }
    if (!ok) fail("BULWARK_SESSION_COOKIE must be 1 to 64 characters of [A-Za-z0-9_.-]");
    if (v.starts_with("__")) {
        fail("BULWARK_SESSION_COOKIE must not start with `__`: the __Host- prefix is added in production");
    }
    return std::string(v);
}

std::string parse_log_level(std::string_view v) {
    if (v == "debug" || v == "info" || v == "warning" || v == "error") return std::string(v);
    fail("BULWARK_LOG_LEVEL must be debug, info, warning or error");
}

std::string parse_mail_from(std::string_view v) {
    // A CR or LF here would let the value write its own mail headers.
    if (v.empty() || v.size() > 254 || v.find('@') == std::string_view::npos ||
        v.find_first_of("\r\n") != std::string_view::npos) {
        fail("MAIL_FROM must be one e-mail address (no line breaks)");
    }
    return std::string(v);
}

void require_strong_secret(std::string_view name, std::string_view secret) {
    const SecretWeakness w = check_secret_strength(secret);
    if (w == SecretWeakness::none) return;
    std::string why;
    switch (w) {
        case SecretWeakness::too_short: why = "is shorter than 32 bytes"; break;
        case SecretWeakness::placeholder: why = "is a well-known placeholder value"; break;
        case SecretWeakness::repeated_pattern: why = "is a repeated pattern"; break;
        case SecretWeakness::few_distinct: why = "uses too few distinct characters"; break;
        case SecretWeakness::low_entropy: why = "does not look random enough"; break;
        case SecretWeakness::none: break;
    }
    fail(std::string(name) + " " + why +
         ". Production needs at least 32 random bytes: run `bulwark gen-secret` and set " +
         std::string(name) + " to its output.");
}

[[noreturn]] void fail_missing_secret() {
    fail("SECRET_KEY is not set. Production refuses to start without a secret key of at least "
         "32 random bytes: run `bulwark gen-secret` and set SECRET_KEY to its output.");
}

}  // namespace bulwark::config::detail
