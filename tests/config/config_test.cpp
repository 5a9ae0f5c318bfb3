// Config loading: precedence, production refusals, the development key file, warnings,
// and a table of bad settings whose messages must name the variable and never a secret.
#include <bulwark/config.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using bulwark::Config;
using bulwark::ConfigError;
using bulwark::Environment;
using bulwark::LoadOptions;
using Vars = std::map<std::string, std::string>;

const std::string kGoodKey = "Zx3_kQ9-mX2pL7vB4nR8sT1wY6cF0hJ5aD8eG2iK4oM";
const std::string kGoodKey2 = "4f8b2c9e1a7d3f6b0c5e8a2d9f1b4c7e3a6d0f9b2c5e8a1d4f7b0c3e6a9d2f5b";

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/bulwark-config-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
        auto p = path_ / name;
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
        return p;
    }

private:
    std::filesystem::path path_;
};

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

std::string error_of(const Vars& vars, const LoadOptions& options = {}) {
    try {
        (void)Config::from_map(vars, options);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::vector<std::string>& list, const std::string& needle) {
    for (const auto& s : list) {
        if (s.find(needle) != std::string::npos) return true;
    }
    return false;
}

TEST(Config, DefaultsAreTheSecureChoice) {
    Config cfg = Config::from_map({{"SECRET_KEY", kGoodKey}});
    EXPECT_EQ(cfg.env, Environment::development);
    EXPECT_EQ(cfg.host, "127.0.0.1");
    EXPECT_EQ(cfg.port, 8080);
    EXPECT_EQ(cfg.instance_dir, "instance");
    EXPECT_EQ(cfg.database_url, "sqlite:///instance/bulwark.db");
    EXPECT_EQ(cfg.max_content_length, 16u * 1024 * 1024);
    EXPECT_TRUE(cfg.trusted_proxies.empty());
    EXPECT_EQ(cfg.proxy_headers, bulwark::config::ProxyHeaders::x_forwarded);
    EXPECT_TRUE(cfg.cors_origins.empty());
    EXPECT_FALSE(cfg.redis_url.has_value());
    EXPECT_FALSE(cfg.tls_cert.has_value());
    EXPECT_EQ(cfg.session_cookie_name, "session");
    EXPECT_EQ(cfg.login_rate_limit, "5 per minute");
    EXPECT_TRUE(cfg.warnings.empty());
    EXPECT_TRUE(bulwark::crypto::equal(cfg.secret_key.reveal(), bulwark::crypto::as_bytes(kGoodKey)));
}

TEST(Config, ParsesEveryField) {
    TempDir dir;
    auto cert = dir.write("cert.pem", "x");
    auto key = dir.write("key.pem", "x");
    Config cfg = Config::from_map({
        {"BULWARK_ENV", "production"}, {"SECRET_KEY", kGoodKey}, {"SECRET_KEY_FALLBACKS", kGoodKey2},
        {"BULWARK_HOST", "0.0.0.0"}, {"BULWARK_PORT", "9443"}, {"BULWARK_INSTANCE_DIR", dir.path().string()},
        {"DATABASE_URL", "postgresql://u@db/app"}, {"REDIS_URL", "redis://cache:6379/0"},
        {"TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8, ::1/128, fd00::/8"},
        {"BULWARK_PROXY_HEADERS", "forwarded"},
        {"CORS_ORIGINS", "https://app.example.com, http://localhost:3000"},
        {"TRUSTED_ORIGINS", "https://example.com"}, {"WEBHOOK_SECRET", kGoodKey2},
        {"BULWARK_TLS_CERT", cert.string()}, {"BULWARK_TLS_KEY", key.string()},
        {"MAX_CONTENT_LENGTH", "1048576"}, {"SMTP_URL", "smtps://mail.example.com:465"},
        {"MAIL_FROM", "noreply@example.com"}, {"OIDC_ISSUER", "https://id.example.com"},
        {"OIDC_CLIENT_ID", "bulwark"}, {"OIDC_CLIENT_SECRET", "s3"}, {"OIDC_REDIRECT_URI", "https://app/cb"},
        {"BULWARK_LOGIN_RATE_LIMIT", "10 per hour"}, {"BULWARK_SESSION_COOKIE", "sid"},
        {"BULWARK_LOG_LEVEL", "warning"},
    });
    EXPECT_TRUE(cfg.is_production());
    EXPECT_EQ(cfg.host, "0.0.0.0");
    EXPECT_EQ(cfg.port, 9443);
    EXPECT_EQ(cfg.database_url, "postgresql://u@db/app");
    EXPECT_EQ(cfg.redis_url, "redis://cache:6379/0");
    EXPECT_EQ(cfg.trusted_proxies.networks().size(), 4u);
    EXPECT_EQ(cfg.proxy_headers, bulwark::config::ProxyHeaders::forwarded);
    EXPECT_EQ(cfg.cors_origins, (std::vector<std::string>{"https://app.example.com", "http://localhost:3000"}));
    EXPECT_EQ(cfg.trusted_origins, (std::vector<std::string>{"https://example.com"}));
    ASSERT_EQ(cfg.secret_key_fallbacks.size(), 1u);
    ASSERT_TRUE(cfg.webhook_secret.has_value());
    EXPECT_EQ(cfg.tls_cert, cert);
    EXPECT_EQ(cfg.max_content_length, 1048576u);
    EXPECT_EQ(cfg.smtp_url, "smtps://mail.example.com:465");
    EXPECT_EQ(cfg.oidc_issuer, "https://id.example.com");
    EXPECT_TRUE(cfg.oidc_client_secret.has_value());
    EXPECT_EQ(cfg.login_rate_limit, "10 per hour");
    EXPECT_EQ(cfg.session_cookie_name, "sid");
    EXPECT_EQ(cfg.log_level, "warning");
    // Secrets are kept only in their typed fields, never in the raw map.
    EXPECT_FALSE(cfg.get("SECRET_KEY").has_value());
    EXPECT_FALSE(cfg.get("WEBHOOK_SECRET").has_value());
    EXPECT_FALSE(cfg.get("OIDC_CLIENT_SECRET").has_value());
    EXPECT_EQ(cfg.get("BULWARK_PORT"), "9443");
    // The key ring signs with SECRET_KEY and still verifies what the fallback signed.
    bulwark::crypto::Signer old_signer{bulwark::crypto::KeyRing{bulwark::crypto::SecretBytes{kGoodKey2}}};
    bulwark::crypto::Signer signer(cfg.key_ring());
    auto token = old_signer.sign("v", bulwark::crypto::Purpose::session);
    EXPECT_TRUE(signer.unsign(token, bulwark::crypto::Purpose::session, std::chrono::seconds(60)).ok());
}

TEST(Config, PrecedenceDotenvThenEnvironmentThenOverrides) {
    TempDir dir;
    auto env_file = dir.write(".env", "BULWARK_PORT=1000\nBULWARK_HOST=10.1.1.1\nMAIL_FROM=a@file\nSECRET_KEY=" + kGoodKey + "\n");
    LoadOptions opts;
    opts.dotenv_path = env_file;
    {
        Config cfg = Config::from_map({}, opts);
        EXPECT_EQ(cfg.port, 1000);
        EXPECT_EQ(cfg.host, "10.1.1.1");
        EXPECT_EQ(cfg.mail_from, "a@file");
    }
    {
        Config cfg = Config::from_map({{"BULWARK_PORT", "2000"}, {"MAIL_FROM", "b@env"}}, opts);
        EXPECT_EQ(cfg.port, 2000);             // environment beats .env
        EXPECT_EQ(cfg.host, "10.1.1.1");        // .env fills what the environment lacks
        EXPECT_EQ(cfg.mail_from, "b@env");
    }
    {
        opts.overrides = {{"BULWARK_PORT", "3000"}};
        Config cfg = Config::from_map({{"BULWARK_PORT", "2000"}}, opts);
        EXPECT_EQ(cfg.port, 3000);              // command-line flags beat both
    }
}

TEST(Config, FromEnvReadsProcessEnvironmentAndDotenv) {
    TempDir dir;
    auto env_file = dir.write("custom.env", "BULWARK_PORT=1000\nBULWARK_HOST=10.1.1.1\n");
    ::setenv("BULWARK_PORT", "2345", 1);
    ::setenv("SECRET_KEY", kGoodKey.c_str(), 1);
    LoadOptions opts;
    opts.dotenv_path = env_file;
    Config cfg = Config::from_env(opts);
    EXPECT_EQ(cfg.port, 2345);
    EXPECT_EQ(cfg.host, "10.1.1.1");
    ::unsetenv("BULWARK_PORT");
    ::unsetenv("SECRET_KEY");
}

TEST(Config, MalformedDotenvRefusesToStartNamingFileAndLine) {
    TempDir dir;
    const std::string secret = "Qm9vb3Nlc2VjcmV0dmFsdWVfZG9ub3RsZWFrX2hlcmU";
    auto env_file = dir.write(".env", "SECRET_KEY=" + secret + "\n# fine\nBROKEN LINE " + secret + "\n");
    LoadOptions opts;
    opts.dotenv_path = env_file;
    std::string message = error_of({}, opts);
    EXPECT_NE(message.find(env_file.string() + ":3:"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << message;

    opts.dotenv_path = dir.path() / "missing.env";
    EXPECT_NE(error_of({}, opts).find("missing.env"), std::string::npos);
}

TEST(Config, ProductionRefusesMissingOrWeakSecretKey) {
    struct Case { const char* name; Vars vars; const char* needle; };
    const std::vector<Case> cases = {
        {"missing", {}, "SECRET_KEY is not set"},
        {"empty", {{"SECRET_KEY", ""}}, "SECRET_KEY is not set"},
        {"placeholder", {{"SECRET_KEY", "super-secret-key"}}, "placeholder"},
        {"long_placeholder", {{"SECRET_KEY", "change-me-to-a-long-random-string-in-production"}}, "placeholder"},
        {"short", {{"SECRET_KEY", "kQ9-mX2pL7vB4nR8sT1wY6c"}}, "shorter than 32 bytes"},
        {"pattern", {{"SECRET_KEY", "abcdabcdabcdabcdabcdabcdabcdabcdabcd"}}, "repeated pattern"},
        {"low_entropy", {{"SECRET_KEY", "my-super-secret-key-for-production-2024"}}, "random enough"},
        {"weak_fallback", {{"SECRET_KEY", kGoodKey}, {"SECRET_KEY_FALLBACKS", kGoodKey2 + ",changeme"}},
         "SECRET_KEY_FALLBACKS entry 2"},
    };
    for (auto c : cases) {
        c.vars["BULWARK_ENV"] = "production";
        std::string message = error_of(c.vars);
        EXPECT_NE(message.find(c.needle), std::string::npos) << c.name << ": " << message;
        EXPECT_NE(message.find("bulwark gen-secret"), std::string::npos) << c.name;
        if (auto it = c.vars.find("SECRET_KEY"); it != c.vars.end() && !it->second.empty()) {
            EXPECT_EQ(message.find(it->second), std::string::npos) << c.name << " leaks the key";
        }
    }
}

TEST(Config, ProductionAcceptsStrongKeysAndNeverWritesAKeyFile) {
    TempDir dir;
    auto instance = dir.path() / "inst";
    for (const auto& key : {kGoodKey, kGoodKey2, bulwark::crypto::random_token(32)}) {
        Config cfg = Config::from_map({{"BULWARK_ENV", "production"}, {"SECRET_KEY", key},
                                       {"BULWARK_INSTANCE_DIR", instance.string()}});
        EXPECT_TRUE(cfg.is_production());
        EXPECT_EQ(cfg.secret_key.size(), key.size());
    }
    EXPECT_FALSE(std::filesystem::exists(instance / "secret_key"));
}

TEST(Config, DevelopmentMakesAndKeepsAKeyFile) {
    TempDir dir;
    auto instance = dir.path() / "a" / "instance";
    Vars vars = {{"BULWARK_INSTANCE_DIR", instance.string()}};
    Config first = Config::from_map(vars);
    auto key_file = instance / "secret_key";
    ASSERT_TRUE(std::filesystem::exists(key_file));
    EXPECT_EQ(mode_of(key_file), 0600u);
    EXPECT_EQ(mode_of(instance), 0700u);
    EXPECT_EQ(first.secret_key.size(), 43u);
    EXPECT_EQ(bulwark::config::check_secret_strength(std::string(
                  reinterpret_cast<const char*>(first.secret_key.reveal().data()), first.secret_key.size())),
              bulwark::config::SecretWeakness::none);
    Config second = Config::from_map(vars);
    EXPECT_TRUE(bulwark::crypto::equal(first.secret_key.reveal(), second.secret_key.reveal()));
    // No temp files left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(instance)) ++files;
    EXPECT_EQ(files, 1u);
}

TEST(Config, DevelopmentRefusesAnUnsafeKeyFile) {
    struct Case { const char* name; std::string content; mode_t mode; const char* needle; };
    const std::vector<Case> cases = {
        {"group_readable", kGoodKey + "\n", 0640, "group/other permissions"},
        {"world_readable", kGoodKey + "\n", 0644, "group/other permissions"},
        {"group_writable", kGoodKey + "\n", 0620, "group/other permissions"},
        {"too_short", "short\n", 0600, "fewer than 32 bytes"},
        {"empty", "", 0600, "fewer than 32 bytes"},
        {"too_large", std::string(5000, 'k'), 0600, "larger than 4 KiB"},
    };
    for (const auto& c : cases) {
        TempDir dir;
        dir.write("secret_key", c.content, c.mode);
        std::string message = error_of({{"BULWARK_INSTANCE_DIR", dir.path().string()}});
        EXPECT_NE(message.find(c.needle), std::string::npos) << c.name << ": " << message;
        EXPECT_EQ(message.find(kGoodKey), std::string::npos) << c.name;
    }
    {
        TempDir dir;
        auto target = dir.write("elsewhere", kGoodKey + "\n");
        std::filesystem::create_symlink(target, dir.path() / "secret_key");
        EXPECT_NE(error_of({{"BULWARK_INSTANCE_DIR", dir.path().string()}}), "") << "a symlinked key is refused";
    }
    {
        TempDir dir;
        std::filesystem::create_directory(dir.path() / "secret_key");
        EXPECT_NE(error_of({{"BULWARK_INSTANCE_DIR", dir.path().string()}}), "");
    }
    {
        TempDir dir;
        dir.write("not-a-dir", "x");
        EXPECT_NE(error_of({{"BULWARK_INSTANCE_DIR", (dir.path() / "not-a-dir").string()}}), "");
    }
}

TEST(Config, DevelopmentWarnsAboutAWeakKeyAndAnOpenInstanceFolder) {
    Config cfg = Config::from_map({{"SECRET_KEY", "dev"}});
    EXPECT_TRUE(contains(cfg.warnings, "SECRET_KEY would be refused in production (placeholder)"));
    TempDir dir;
    ::chmod(dir.path().c_str(), 0755);
    Config open_dir = Config::from_map({{"BULWARK_INSTANCE_DIR", dir.path().string()}});
    EXPECT_TRUE(contains(open_dir.warnings, "accessible to group/other"));
}

TEST(Config, UnknownBulwarkVariablesAreWarnedAbout) {
    LoadOptions opts;
    opts.extra_known_names = {"BULWARK_APP_THING"};
    Config cfg = Config::from_map({{"SECRET_KEY", kGoodKey}, {"BULWARK_FOO", "1"},
                                   {"BULWARK_SECRET_KEY", "x"}, {"BULWARK_PROT", "1"},
                                   {"BULWARK_TEST_REDIS_URL", "redis://x"}, {"BULWARK_APP_THING", "1"},
                                   {"UNRELATED", "1"}},
                                  opts);
    EXPECT_EQ(cfg.warnings.size(), 3u);
    EXPECT_TRUE(contains(cfg.warnings, "unknown setting BULWARK_FOO"));
    EXPECT_TRUE(contains(cfg.warnings, "BULWARK_SECRET_KEY (ignored); did you mean SECRET_KEY?"));
    EXPECT_TRUE(contains(cfg.warnings, "BULWARK_PROT (ignored); did you mean BULWARK_PORT?"));
    EXPECT_FALSE(contains(cfg.warnings, "BULWARK_TEST_REDIS_URL"));
    EXPECT_FALSE(contains(cfg.warnings, "BULWARK_APP_THING"));
    EXPECT_EQ(cfg.get("BULWARK_FOO"), "1");
}

TEST(Config, BadSettingsNameTheVariable) {
    TempDir dir;
    auto cert = dir.write("cert.pem", "x");
    struct Case { const char* name; Vars vars; const char* needle; };
    const std::vector<Case> cases = {
        {"env", {{"BULWARK_ENV", "prod"}}, "BULWARK_ENV"},
        {"env_case", {{"BULWARK_ENV", "Production"}}, "BULWARK_ENV"},
        {"port_range", {{"BULWARK_PORT", "70000"}}, "BULWARK_PORT"},
        {"port_text", {{"BULWARK_PORT", "80a"}}, "BULWARK_PORT"},
        {"port_negative", {{"BULWARK_PORT", "-1"}}, "BULWARK_PORT"},
        {"port_empty", {{"BULWARK_PORT", ""}}, "BULWARK_PORT"},
        {"host_space", {{"BULWARK_HOST", "a b"}}, "BULWARK_HOST"},
        {"instance_empty", {{"BULWARK_INSTANCE_DIR", ""}}, "BULWARK_INSTANCE_DIR"},
        {"proxies", {{"TRUSTED_PROXIES", "10.0.0.0/8, 300.0.0.0/8"}}, "TRUSTED_PROXIES"},
        {"proxies_host_bits", {{"TRUSTED_PROXIES", "10.0.0.1/8"}}, "TRUSTED_PROXIES"},
        {"proxy_headers", {{"BULWARK_PROXY_HEADERS", "both"}}, "BULWARK_PROXY_HEADERS"},
        {"cors_star", {{"CORS_ORIGINS", "*"}}, "CORS_ORIGINS"},
        {"cors_path", {{"CORS_ORIGINS", "https://a.example.com/x"}}, "CORS_ORIGINS"},
        {"cors_no_scheme", {{"CORS_ORIGINS", "a.example.com"}}, "CORS_ORIGINS"},
        {"cors_trailing_slash", {{"CORS_ORIGINS", "https://a.example.com/"}}, "CORS_ORIGINS"},
        {"trusted_origins", {{"TRUSTED_ORIGINS", "javascript:alert(1)"}}, "TRUSTED_ORIGINS"},
        {"max_zero", {{"MAX_CONTENT_LENGTH", "0"}}, "MAX_CONTENT_LENGTH"},
        {"max_suffix", {{"MAX_CONTENT_LENGTH", "16M"}}, "MAX_CONTENT_LENGTH"},
        {"max_overflow", {{"MAX_CONTENT_LENGTH", "99999999999999999999999"}}, "MAX_CONTENT_LENGTH"},
        {"database", {{"DATABASE_URL", "mysql://x"}}, "DATABASE_URL"},
        {"redis", {{"REDIS_URL", "http://x"}}, "REDIS_URL"},
        {"smtp", {{"SMTP_URL", "ftp://x"}}, "SMTP_URL"},
        {"mail_from_crlf", {{"MAIL_FROM", "a@b\r\nBcc: victim@x"}}, "MAIL_FROM"},
        {"tls_cert_only", {{"BULWARK_TLS_CERT", cert.string()}}, "BULWARK_TLS_KEY"},
        {"tls_missing_file", {{"BULWARK_TLS_CERT", "/nonexistent/c"}, {"BULWARK_TLS_KEY", "/nonexistent/k"}},
         "BULWARK_TLS_CERT"},
        {"oidc_half", {{"OIDC_ISSUER", "https://id"}}, "OIDC_CLIENT_ID"},
        {"oidc_http", {{"OIDC_ISSUER", "http://id.example.com"}, {"OIDC_CLIENT_ID", "c"}}, "OIDC_ISSUER"},
        {"rate_limit", {{"BULWARK_LOGIN_RATE_LIMIT", "lots"}}, "BULWARK_LOGIN_RATE_LIMIT"},
        {"rate_limit_unit", {{"BULWARK_LOGIN_RATE_LIMIT", "5 per fortnight"}}, "BULWARK_LOGIN_RATE_LIMIT"},
        {"rate_limit_zero", {{"BULWARK_LOGIN_RATE_LIMIT", "0 per minute"}}, "BULWARK_LOGIN_RATE_LIMIT"},
        {"cookie_prefix", {{"BULWARK_SESSION_COOKIE", "__Host-s"}}, "BULWARK_SESSION_COOKIE"},
        {"cookie_chars", {{"BULWARK_SESSION_COOKIE", "a;b"}}, "BULWARK_SESSION_COOKIE"},
        {"log_level", {{"BULWARK_LOG_LEVEL", "loud"}}, "BULWARK_LOG_LEVEL"},
    };
    for (auto c : cases) {
        c.vars.emplace("SECRET_KEY", kGoodKey);
        std::string message = error_of(c.vars);
        EXPECT_NE(message.find(c.needle), std::string::npos) << c.name << ": '" << message << "'";
        EXPECT_EQ(message.find(kGoodKey), std::string::npos) << c.name;
    }
}

TEST(Config, LocalOidcIssuerOnlyInDevelopment) {
    Vars vars = {{"SECRET_KEY", kGoodKey}, {"OIDC_ISSUER", "http://localhost:9000"}, {"OIDC_CLIENT_ID", "c"}};
    EXPECT_EQ(Config::from_map(vars).oidc_issuer, "http://localhost:9000");
    vars["BULWARK_ENV"] = "production";
    EXPECT_NE(error_of(vars).find("OIDC_ISSUER"), std::string::npos);
}

}  // namespace
