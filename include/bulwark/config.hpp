// bulwark/config.hpp: settings from the environment and a `.env` file, the secret key,
// production checks, and the trusted-proxy rules for the client address.
//
// Security model: the process environment and `.env` are trusted input from the operator,
// but still parsed strictly and bounded (a malformed `.env` line stops the start, naming the
// file and line). Production refuses to start without a strong SECRET_KEY (>= 32 bytes, not
// a known placeholder, not low-entropy; docs/config.md gives the rule). Development keeps a
// generated key in <instance>/secret_key, mode 0600. No error message ever contains a secret.
// Forwarded / X-Forwarded-* headers are believed only when the socket peer is in
// TRUSTED_PROXIES, and only the header kind the operator names (BULWARK_PROXY_HEADERS).
//
//     bulwark::Config cfg = bulwark::Config::from_env();   // throws ConfigError: refuse to start
//     for (const auto& w : cfg.warnings) std::cerr << "config: " << w << '\n';
//     auto who = bulwark::config::resolve_client(cfg.trusted_proxies, cfg.proxy_headers, view);
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config {

// ---------------------------------------------------------------------------------- .env
// DotenvLimits bound what parse_dotenv reads; passing one is a DotenvErrorCode::too_large.
struct DotenvLimits {
    std::size_t max_file_bytes = 1024 * 1024;
    std::size_t max_value_bytes = 64 * 1024;
    std::size_t max_entries = 4096;
};

enum class DotenvErrorCode {
    too_large,           // file, value or entry count over DotenvLimits
    bad_key,             // key missing or not [A-Za-z_][A-Za-z0-9_.]*
    missing_equals,      // `KEY` with no `=` (python-dotenv allows it; we refuse it)
    unterminated_quote,  // a quoted value never closes
    trailing_garbage,    // something after a closing quote other than a comment
    nul_byte,            // a NUL byte anywhere in the file
    bad_expansion,       // `${` without a closing `}` or with a bad name
};
std::string_view dotenv_error_name(DotenvErrorCode e) noexcept;

// DotenvError: the code and the 1-based line where the bad entry starts. No file content.
struct DotenvError {
    DotenvErrorCode code;
    std::size_t line;
};

struct DotenvEntry {
    std::string key;
    std::string value;
    std::size_t line;  // 1-based line where the entry starts
};

// parse_dotenv parses `.env` text with python-dotenv's rules (docs/config.md): comments,
// `export `, single quotes (only \\ and \' unescaped), double quotes (escapes, multi-line),
// unquoted values trimmed with ` #` comments cut, `${VAR}` / `${VAR:-default}` expanded in
// unquoted and double-quoted values from `environment` first, then from earlier entries
// (never a command, never recursive). Later duplicates win, as in python-dotenv.
Result<std::vector<DotenvEntry>, DotenvError> parse_dotenv(
    std::string_view text, const std::map<std::string, std::string>& environment = {},
    const DotenvLimits& limits = {});

// ------------------------------------------------------------------- addresses and proxies
// IpAddress: an IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as IPv4.
class IpAddress {
public:
    // parse accepts only canonical forms inet_pton accepts: dotted quad, or IPv6 text
    // without brackets, zone or port. Anything else is nullopt.
    static std::optional<IpAddress> parse(std::string_view text);
    bool is_v4() const noexcept { return v4_; }
    std::string to_string() const;
    const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
    bool operator==(const IpAddress&) const = default;

private:
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4
    bool v4_ = true;
};

// Cidr: a network, e.g. 10.0.0.0/8 or fd00::/8. A bare address means /32 or /128.
struct Cidr {
    IpAddress network;
    unsigned prefix = 0;
    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpAddress& ip) const noexcept;
};

// TrustedProxies: the TRUSTED_PROXIES list. Empty (the default) trusts no one.
class TrustedProxies {
public:
    // parse reads a comma- or space-separated CIDR list; nullopt if any entry is invalid
    // or there are more than kMaxEntries.
    static std::optional<TrustedProxies> parse(std::string_view text);
    static constexpr std::size_t kMaxEntries = 256;

    bool contains(const IpAddress& ip) const noexcept;
    bool empty() const noexcept { return nets_.empty(); }
    const std::vector<Cidr>& networks() const noexcept { return nets_; }

private:
    std::vector<Cidr> nets_;
};

// ProxyHeaders: which header family a trusted proxy maintains. Only that one is read, so a
// client cannot smuggle the other family through a proxy that passes it on untouched.
enum class ProxyHeaders {
    x_forwarded,  // X-Forwarded-For + X-Forwarded-Proto (nginx, HAProxy, ALB, Caddy): default
    forwarded,    // RFC 7239 Forwarded
};

enum class Scheme { http, https };

// ProxyView: what the HTTP layer hands to resolve_client. Each span holds the field values
// of every header line of that name, in arrival order (or one comma-joined value).
struct ProxyView {
    std::string_view peer_address;  // the socket peer, no port, e.g. "10.0.0.2" or "::1"
    Scheme connection_scheme = Scheme::http;
    std::span<const std::string_view> forwarded{};
    std::span<const std::string_view> x_forwarded_for{};
    std::span<const std::string_view> x_forwarded_proto{};
};

// ClientInfo: the resolved client. `address` is canonical text (or the peer string as given
// when it is not an IP); `via_proxy` says a forwarded header decided it.
struct ClientInfo {
    std::string address;
    Scheme scheme = Scheme::http;
    bool via_proxy = false;
};

// kMaxProxyHeaderBytes / kMaxProxyHops: a header family over these is ignored (peer wins).
inline constexpr std::size_t kMaxProxyHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxProxyHops = 32;

// resolve_client: if the peer is trusted, walk the chosen header family right to left,
// skipping trusted hops; the first untrusted address is the client. A malformed, obfuscated
// or oversized value stops the walk at the nearest trusted hop (never attacker-chosen).
// Pure function, thread-safe, never throws on bad input.
ClientInfo resolve_client(const TrustedProxies& trusted, ProxyHeaders mode,
                          const ProxyView& view);

// ------------------------------------------------------------------------ secret checks
enum class SecretWeakness {
    none,
    too_short,         // fewer than kMinSecretBytes bytes
    placeholder,       // a known placeholder such as "change-me"
    repeated_pattern,  // a shorter unit repeated
    few_distinct,      // fewer than 12 distinct characters
    low_entropy,       // estimate under kMinSecretEntropyBits
};
std::string_view secret_weakness_name(SecretWeakness w) noexcept;
inline constexpr std::size_t kMinSecretBytes = 32;
inline constexpr double kMinSecretEntropyBits = 192.0;

// check_secret_strength: the production rule for SECRET_KEY (docs/config.md).
SecretWeakness check_secret_strength(std::string_view secret) noexcept;
// estimate_entropy_bits: the conservative estimate check_secret_strength uses.
double estimate_entropy_bits(std::string_view secret) noexcept;

}  // namespace bulwark::config

namespace bulwark {

enum class Environment { development, production };

// ConfigError: why the app refuses to start. what() is safe to print: it names the
// variable, file and line, never a value. Thrown only by Config::from_env / from_map.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// LoadOptions: where settings come from. `overrides` (command line flags such as
// BULWARK_PORT) win over the environment, which wins over `.env`.
struct LoadOptions {
    // from_env: default ./.env if it exists; from_map: read only when given. A given path
    // that does not exist is a ConfigError.
    std::optional<std::filesystem::path> dotenv_path;
    bool read_dotenv = true;
    std::map<std::string, std::string> overrides;
    std::vector<std::string> extra_known_names;  // BULWARK_* names an app reads itself
};

// Config: the typed settings every component reads. Defaults are the secure choice.
// Build once at start; immutable afterwards and then safe to share between threads.
struct Config {
    Environment env = Environment::development;
    std::string host = "127.0.0.1";                              // BULWARK_HOST
    std::uint16_t port = 8080;                                   // BULWARK_PORT
    std::filesystem::path instance_dir = "instance";             // BULWARK_INSTANCE_DIR
    crypto::SecretBytes secret_key;                              // SECRET_KEY
    std::vector<crypto::SecretBytes> secret_key_fallbacks;       // SECRET_KEY_FALLBACKS (comma list)
    std::string database_url;            // DATABASE_URL; default sqlite:///<instance>/bulwark.db
    std::optional<std::string> redis_url;                        // REDIS_URL (may hold a password)
    config::TrustedProxies trusted_proxies;                      // TRUSTED_PROXIES
    config::ProxyHeaders proxy_headers = config::ProxyHeaders::x_forwarded;  // BULWARK_PROXY_HEADERS
    std::vector<std::string> cors_origins;                       // CORS_ORIGINS
    std::vector<std::string> trusted_origins;                    // TRUSTED_ORIGINS (CSRF)
    std::optional<crypto::SecretBytes> webhook_secret;           // WEBHOOK_SECRET
    std::optional<std::filesystem::path> tls_cert;               // BULWARK_TLS_CERT
    std::optional<std::filesystem::path> tls_key;                // BULWARK_TLS_KEY
    std::size_t max_content_length = 16 * 1024 * 1024;           // MAX_CONTENT_LENGTH (bytes)
    std::optional<std::string> smtp_url;                         // SMTP_URL (may hold a password)
    std::string mail_from = "bulwark@localhost";                 // MAIL_FROM
    std::optional<std::string> oidc_issuer;                      // OIDC_ISSUER
    std::optional<std::string> oidc_client_id;                   // OIDC_CLIENT_ID
    std::optional<crypto::SecretBytes> oidc_client_secret;       // OIDC_CLIENT_SECRET
    std::optional<std::string> oidc_redirect_uri;                // OIDC_REDIRECT_URI
    std::string login_rate_limit = "5 per minute";               // BULWARK_LOGIN_RATE_LIMIT
    std::string session_cookie_name = "session";                 // BULWARK_SESSION_COOKIE
    std::string log_level = "info";                              // BULWARK_LOG_LEVEL

    // warnings: things to print at start (unknown BULWARK_* names, weak dev key, ...).
    std::vector<std::string> warnings;

    bool is_production() const noexcept { return env == Environment::production; }
    // key_ring: SECRET_KEY and its fallbacks, for crypto::Signer and friends.
    crypto::KeyRing key_ring() const;
    // get: the raw value of any variable seen while loading (after precedence), for names
    // an app reads itself. Secret variables (SECRET_KEY, *_SECRET, ...) are not kept here.
    std::optional<std::string> get(std::string_view name) const;

    // from_env reads the process environment plus `.env`; throws ConfigError to refuse start.
    static Config from_env(const LoadOptions& options = {});
    // from_map is from_env with `vars` standing in for the process environment (tests);
    // it reads a .env file only when options.dotenv_path is given.
    static Config from_map(const std::map<std::string, std::string>& vars,
                           const LoadOptions& options = {});

private:
    friend class ConfigBuilder;
    std::map<std::string, std::string, std::less<>> raw_;
};

}  // namespace bulwark
