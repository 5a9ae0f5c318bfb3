// Config::from_env / from_map: gather the variables (.env < environment < overrides),
// build the typed Config, apply the production rules, and list warnings for the start-up log.
#include <bulwark/config.hpp>

#include "secret_file.hpp"
#include "settings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

namespace bulwark {

using Vars = std::map<std::string, std::string, std::less<>>;

// ConfigBuilder keeps the raw variables for Config::get, minus the secrets: those live only
// in their SecretBytes fields, which are wiped when the Config goes.
class ConfigBuilder {
public:
    static void keep_raw(Config& cfg, Vars vars) {
        for (auto it = vars.begin(); it != vars.end();) {
            const std::string& name = it->first;
            if (name.find("SECRET") != std::string::npos || name.find("PASSWORD") != std::string::npos) {
                crypto::wipe(it->second.data(), it->second.size());
                it = vars.erase(it);
            } else {
                ++it;
            }
        }
        cfg.raw_ = std::move(vars);
    }
};

namespace {

using config::detail::split_list;

[[noreturn]] void fail(const std::string& message) { throw ConfigError("config: " + message); }

// The variables Bulwark reads. Framework-only knobs carry the BULWARK_ prefix; the ones
// a Flask app already has keep their Flask names so an existing .env works unchanged.
constexpr std::string_view kBulwarkNames[] = {
    "BULWARK_ENV", "BULWARK_HOST", "BULWARK_PORT", "BULWARK_INSTANCE_DIR",
    "BULWARK_PROXY_HEADERS", "BULWARK_TLS_CERT", "BULWARK_TLS_KEY",
    "BULWARK_LOGIN_RATE_LIMIT", "BULWARK_SESSION_COOKIE", "BULWARK_LOG_LEVEL",
};
constexpr std::string_view kPlainNames[] = {
    "SECRET_KEY", "SECRET_KEY_FALLBACKS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXIES",
    "CORS_ORIGINS", "TRUSTED_ORIGINS", "WEBHOOK_SECRET", "MAX_CONTENT_LENGTH", "SMTP_URL",
    "MAIL_FROM", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URI",
};
// The test harness passes service URLs as BULWARK_TEST_*; they are not settings.
constexpr std::string_view kIgnoredPrefix = "BULWARK_TEST_";

std::string_view dotenv_error_text(config::DotenvErrorCode code) {
    using C = config::DotenvErrorCode;
    switch (code) {
        case C::too_large: return "over the size limit (1 MiB per file, 64 KiB per value)";
        case C::bad_key: return "expected KEY=value with KEY of [A-Za-z_][A-Za-z0-9_.]*";
        case C::missing_equals: return "expected KEY=value (no `=` found)";
        case C::unterminated_quote: return "a quoted value is never closed";
        case C::trailing_garbage: return "unexpected text after the closing quote";
        case C::nul_byte: return "the file contains a NUL byte";
        case C::bad_expansion: return "bad ${VAR} reference (unclosed or invalid name)";
    }
    return "malformed line";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    if (a.size() > 64 || b.size() > 64) return 99;
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string unknown_warning(std::string_view name) {
    std::string w = "unknown setting " + std::string(name) + " (ignored)";
    std::string_view tail = name.substr(8);  // after BULWARK_
    for (auto plain : kPlainNames) {
        if (tail == plain) return w + "; did you mean " + std::string(plain) + "?";
    }
    for (auto known : kBulwarkNames) {
        if (edit_distance(name, known) <= 2) return w + "; did you mean " + std::string(known) + "?";
    }
    return w;
}

// read_dotenv_file reads and parses one .env file into `vars` (later entries win).
void read_dotenv_file(const std::filesystem::path& path, const std::map<std::string, std::string>& env,
                      bool must_exist, Vars& vars, std::vector<std::string>& warnings) {
    const config::DotenvLimits limits;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT && !must_exist) return;
        fail("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    struct stat st {};
    std::string text;
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) <= limits.max_file_bytes;
    if (ok) {
        text.resize(limits.max_file_bytes + 1);
        std::size_t len = 0;
        while (len < text.size()) {
            ssize_t n = ::read(fd, text.data() + len, text.size() - len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { ok = n == 0; break; }
            len += static_cast<std::size_t>(n);
        }
        text.resize(len);
    }
    ::close(fd);
    if (!ok) fail(path.string() + " is not a readable regular file of at most 1 MiB");

    auto parsed = config::parse_dotenv(text, env, limits);
    crypto::wipe(text.data(), text.size());
    if (!parsed) {
        fail(path.string() + ":" + std::to_string(parsed.error().line) + ": " +
             std::string(dotenv_error_text(parsed.error().code)) + "; refusing to start");
    }
    bool holds_secret = false;
    for (auto& e : *parsed) {
        holds_secret = holds_secret || e.key.find("SECRET") != std::string::npos;
        vars[e.key] = std::move(e.value);
    }
    if (holds_secret && (st.st_mode & 077) != 0) {
        warnings.push_back(path.string() + " holds secrets and is readable by group/other; chmod 600 is recommended");
    }
}

std::optional<std::string_view> lookup(const Vars& vars, std::string_view name) {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return std::string_view(it->second);
}

// nonempty: a variable set to "" counts as unset, as KEY= in .env means "no value".
std::optional<std::string_view> nonempty(const Vars& vars, std::string_view name) {
    auto v = lookup(vars, name);
    if (v && v->empty()) return std::nullopt;
    return v;
}

void apply_secrets(Config& cfg, const Vars& vars) {
    using config::detail::require_strong_secret;
    auto key = nonempty(vars, "SECRET_KEY");
    if (cfg.is_production()) {
        if (!key) config::detail::fail_missing_secret();
        require_strong_secret("SECRET_KEY", *key);
        cfg.secret_key = crypto::SecretBytes(*key);
    } else if (key) {
        cfg.secret_key = crypto::SecretBytes(*key);
        auto w = config::check_secret_strength(*key);
        if (w != config::SecretWeakness::none) {
            cfg.warnings.push_back("SECRET_KEY would be refused in production (" +
                                   std::string(config::secret_weakness_name(w)) + "); make one with `bulwark gen-secret`");
        }
    } else {
        config::detail::ensure_instance_dir(cfg.instance_dir, cfg.warnings);
        cfg.secret_key = config::detail::load_or_create_dev_key(cfg.instance_dir);
    }
    if (auto fb = nonempty(vars, "SECRET_KEY_FALLBACKS")) {
        auto list = split_list(*fb);
        if (list.size() > 16) fail("SECRET_KEY_FALLBACKS lists more than 16 keys");
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (cfg.is_production()) {
                require_strong_secret("SECRET_KEY_FALLBACKS entry " + std::to_string(i + 1), list[i]);
            }
            cfg.secret_key_fallbacks.emplace_back(std::string_view(list[i]));
            crypto::wipe(list[i].data(), list[i].size());
        }
    }
    if (auto ws = nonempty(vars, "WEBHOOK_SECRET")) {
        if (config::check_secret_strength(*ws) != config::SecretWeakness::none) {
            cfg.warnings.push_back("WEBHOOK_SECRET looks weak; use `bulwark gen-secret` on both sides");
        }
        cfg.webhook_secret = crypto::SecretBytes(*ws);
    }
}

void apply_services(Config& cfg, const Vars& vars) {
    using config::detail::check_url_scheme;
    if (auto db = nonempty(vars, "DATABASE_URL")) {
        check_url_scheme("DATABASE_URL", *db, {"sqlite://", "postgresql://", "postgres://"});
        cfg.database_url = std::string(*db);
    } else {
        cfg.database_url = "sqlite:///" + (cfg.instance_dir / "bulwark.db").string();
    }
    if (auto r = nonempty(vars, "REDIS_URL")) {
        check_url_scheme("REDIS_URL", *r, {"redis://", "rediss://", "unix://"});
        cfg.redis_url = std::string(*r);
    }
    if (auto s = nonempty(vars, "SMTP_URL")) {
        check_url_scheme("SMTP_URL", *s, {"smtp://", "smtps://"});
        cfg.smtp_url = std::string(*s);
    }
    if (auto m = nonempty(vars, "MAIL_FROM")) cfg.mail_from = config::detail::parse_mail_from(*m);

    auto issuer = nonempty(vars, "OIDC_ISSUER");
    auto client_id = nonempty(vars, "OIDC_CLIENT_ID");
    if (issuer.has_value() != client_id.has_value()) fail("OIDC_ISSUER and OIDC_CLIENT_ID go together: set both or neither");
    if (issuer) {
        const bool local = issuer->starts_with("http://localhost") || issuer->starts_with("http://127.0.0.1");
        if (!issuer->starts_with("https://") && !(local && !cfg.is_production())) {
            fail("OIDC_ISSUER must be an https:// URL");
        }
        check_url_scheme("OIDC_ISSUER", *issuer, {"https://", "http://"});
        cfg.oidc_issuer = std::string(*issuer);
        cfg.oidc_client_id = std::string(*client_id);
    }
    if (auto sec = nonempty(vars, "OIDC_CLIENT_SECRET")) cfg.oidc_client_secret = crypto::SecretBytes(*sec);
    if (auto uri = nonempty(vars, "OIDC_REDIRECT_URI")) {
        check_url_scheme("OIDC_REDIRECT_URI", *uri, {"https://", "http://"});
        cfg.oidc_redirect_uri = std::string(*uri);
    }
}

void apply_http(Config& cfg, const Vars& vars) {
    using namespace config::detail;
    if (auto h = lookup(vars, "BULWARK_HOST")) cfg.host = parse_host(*h);
    if (auto p = lookup(vars, "BULWARK_PORT")) cfg.port = parse_port(*p);
    if (auto tp = nonempty(vars, "TRUSTED_PROXIES")) {
        auto parsed = config::TrustedProxies::parse(*tp);
        if (!parsed) {
            fail("TRUSTED_PROXIES must be a list of CIDR networks such as `127.0.0.1/32, 10.0.0.0/8, ::1/128` "
                 "(network addresses, at most 256)");
        }
        cfg.trusted_proxies = std::move(*parsed);
    }
    if (auto ph = lookup(vars, "BULWARK_PROXY_HEADERS")) cfg.proxy_headers = parse_proxy_headers(*ph);
    if (auto c = nonempty(vars, "CORS_ORIGINS")) cfg.cors_origins = parse_origins("CORS_ORIGINS", *c);
    if (auto t = nonempty(vars, "TRUSTED_ORIGINS")) cfg.trusted_origins = parse_origins("TRUSTED_ORIGINS", *t);
    if (auto m = lookup(vars, "MAX_CONTENT_LENGTH")) cfg.max_content_length = parse_max_content_length(*m);
    if (auto r = lookup(vars, "BULWARK_LOGIN_RATE_LIMIT")) {
        cfg.login_rate_limit = parse_rate_limit("BULWARK_LOGIN_RATE_LIMIT", *r);
    }
    if (auto s = lookup(vars, "BULWARK_SESSION_COOKIE")) cfg.session_cookie_name = parse_cookie_name(*s);
    if (auto l = lookup(vars, "BULWARK_LOG_LEVEL")) cfg.log_level = parse_log_level(*l);

    auto cert = nonempty(vars, "BULWARK_TLS_CERT");
    auto key = nonempty(vars, "BULWARK_TLS_KEY");
    if (cert.has_value() != key.has_value()) fail("BULWARK_TLS_CERT and BULWARK_TLS_KEY go together: set both or neither");
    if (cert) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*cert, ec)) fail("BULWARK_TLS_CERT: no such file " + std::string(*cert));
        if (!std::filesystem::is_regular_file(*key, ec)) fail("BULWARK_TLS_KEY: no such file " + std::string(*key));
        cfg.tls_cert = std::filesystem::path(*cert);
        cfg.tls_key = std::filesystem::path(*key);
        struct stat st {};
        if (::stat(std::string(*key).c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
            cfg.warnings.push_back("BULWARK_TLS_KEY is readable by group/other; chmod 600 is recommended");
        }
    }
    if (cfg.is_production() && !cert && cfg.trusted_proxies.empty()) {
        cfg.warnings.push_back("production without BULWARK_TLS_CERT or TRUSTED_PROXIES: plain-HTTP requests "
                               "are redirected to HTTPS, which nothing here serves");
    }
}

Config build(Vars vars, const LoadOptions& options) {
    Config cfg;
    if (auto e = lookup(vars, "BULWARK_ENV")) cfg.env = config::detail::parse_environment(*e);
    if (auto dir = lookup(vars, "BULWARK_INSTANCE_DIR")) {
        if (dir->empty() || dir->find('\0') != std::string_view::npos) fail("BULWARK_INSTANCE_DIR is empty");
        cfg.instance_dir = std::filesystem::path(*dir);
    }
    apply_http(cfg, vars);
    apply_services(cfg, vars);
    apply_secrets(cfg, vars);

    for (const auto& [name, value] : vars) {
        if (!name.starts_with("BULWARK_") || name.starts_with(kIgnoredPrefix)) continue;
        if (std::find(std::begin(kBulwarkNames), std::end(kBulwarkNames), name) != std::end(kBulwarkNames)) continue;
        if (std::find(options.extra_known_names.begin(), options.extra_known_names.end(), name) !=
            options.extra_known_names.end()) continue;
        cfg.warnings.push_back(unknown_warning(name));
    }
    ConfigBuilder::keep_raw(cfg, std::move(vars));
    return cfg;
}

Config load(const std::map<std::string, std::string>& env, const LoadOptions& options, bool default_dotenv) {
    Vars vars;
    std::vector<std::string> dotenv_warnings;
    if (options.read_dotenv) {
        if (options.dotenv_path) {
            read_dotenv_file(*options.dotenv_path, env, /*must_exist=*/true, vars, dotenv_warnings);
        } else if (default_dotenv) {
            read_dotenv_file(".env", env, /*must_exist=*/false, vars, dotenv_warnings);
        }
    }
    for (const auto& [k, v] : env) vars[k] = v;               // the real environment wins
    for (const auto& [k, v] : options.overrides) vars[k] = v;  // command-line flags win over both
    Config cfg = build(std::move(vars), options);
    cfg.warnings.insert(cfg.warnings.begin(), dotenv_warnings.begin(), dotenv_warnings.end());
    return cfg;
}

}  // namespace

crypto::KeyRing Config::key_ring() const { return crypto::KeyRing(secret_key, secret_key_fallbacks); }

std::optional<std::string> Config::get(std::string_view name) const {
    auto it = raw_.find(name);
    if (it == raw_.end()) return std::nullopt;
    return it->second;
}

Config Config::from_env(const LoadOptions& options) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return load(env, options, /*default_dotenv=*/true);
}

Config Config::from_map(const std::map<std::string, std::string>& vars, const LoadOptions& options) {
    return load(vars, options, /*default_dotenv=*/false);
}

}  // namespace bulwark
