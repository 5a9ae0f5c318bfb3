// smtp.cpp: the libcurl SMTP backend. TLS is required unless the URL names a loopback sink and
// says `starttls=off`; certificates and host names are always verified.
#include <bulwark/mail.hpp>

#include <boost/url/parse.hpp>
#include <curl/curl.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace bulwark::mail {
namespace {

bool is_loopback(std::string_view host) {
    return host == "localhost" || host == "::1" || host == "[::1]" || host.starts_with("127.");
}

// ReadState feeds the formatted message to curl's upload callback.
struct ReadState {
    std::string_view data;
};

size_t read_callback(char* buffer, size_t size, size_t count, void* user) {
    auto* state = static_cast<ReadState*>(user);
    const size_t n = std::min(size * count, state->data.size());
    std::memcpy(buffer, state->data.data(), n);
    state->data.remove_prefix(n);
    return n;
}

SendError map_error(CURLcode code, long response) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT: return SendError::connect_failed;
        case CURLE_OPERATION_TIMEDOUT: return SendError::timeout;
        case CURLE_USE_SSL_FAILED:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return SendError::tls_failed;
        case CURLE_LOGIN_DENIED:
        case CURLE_AUTH_ERROR: return SendError::auth_failed;
        default: break;
    }
    // MAIL FROM / RCPT TO refused: 5xx is permanent (RFC 5321 §4.2.1), 4xx is worth a retry.
    if (response >= 500 && response < 600) return SendError::rejected;
    return SendError::server_error;
}

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string_view send_error_name(SendError e) noexcept {
    switch (e) {
        case SendError::invalid_message: return "invalid_message";
        case SendError::connect_failed: return "connect_failed";
        case SendError::tls_failed: return "tls_failed";
        case SendError::auth_failed: return "auth_failed";
        case SendError::rejected: return "rejected";
        case SendError::timeout: return "timeout";
        case SendError::server_error: return "server_error";
    }
    return "unknown";
}

bool is_transient(SendError e) noexcept {
    return e == SendError::connect_failed || e == SendError::tls_failed || e == SendError::timeout ||
           e == SendError::server_error;
}

SmtpBackend::SmtpBackend(SmtpConfig config) : config_(std::move(config)) {
    init_curl_once();
    // Errors name the part that is wrong, never the URL (it may hold a password).
    auto parsed = boost::urls::parse_uri(config_.url);
    if (!parsed) throw std::invalid_argument("SMTP_URL is not a valid URL");
    const auto& u = *parsed;
    const std::string scheme(u.scheme());
    if (scheme != "smtp" && scheme != "smtps")
        throw std::invalid_argument("SMTP_URL must use smtp:// (STARTTLS) or smtps:// (TLS)");
    const std::string host(u.encoded_host_address());
    if (host.empty()) throw std::invalid_argument("SMTP_URL has no host");
    if (!u.encoded_path().empty() && u.encoded_path() != "/")
        throw std::invalid_argument("SMTP_URL must not have a path");

    bool starttls_off = false;
    for (auto param : u.params()) {
        if (param.key == "starttls" && param.value == "off") starttls_off = true;
        else throw std::invalid_argument("SMTP_URL has an unknown query parameter");
    }
    if (starttls_off) {
        if (scheme != "smtp") throw std::invalid_argument("starttls=off applies to smtp:// only");
        if (!is_loopback(host))
            throw std::invalid_argument("SMTP_URL: starttls=off is allowed only for a loopback host");
    }
    tls_required_ = !starttls_off;

    const std::string port = u.has_port() ? std::string(u.port()) : (scheme == "smtps" ? "465" : "587");
    const bool ipv6 = u.host_type() == boost::urls::host_type::ipv6;
    server_url_ = scheme + "://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

    // Credentials: the URL, then the config, then the environment.
    if (u.has_userinfo()) {
        username_ = std::string(u.user());
        password_ = crypto::SecretBytes(std::string_view(u.password()));
    } else if (!config_.username.empty()) {
        username_ = config_.username;
        password_ = config_.password;
    } else if (const char* user = std::getenv("SMTP_USERNAME"); user && *user) {
        username_ = user;
        const char* pass = std::getenv("SMTP_PASSWORD");
        password_ = crypto::SecretBytes(std::string_view(pass ? pass : ""));
    }
    if (!username_.empty() && !tls_required_ && scheme == "smtp")
        throw std::invalid_argument("SMTP credentials are never sent without TLS");
    config_.url.clear();  // the copy in the URL is no longer needed
    config_.password = crypto::SecretBytes();
}

SmtpBackend::~SmtpBackend() = default;

Result<void, SendError> SmtpBackend::send(const Message& message) {
    auto formatted = format(message);
    if (!formatted) return SendError::invalid_message;

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return SendError::server_error;
    CURL* h = curl.get();
    const std::string mail_from = "<" + formatted->envelope_from + ">";
    const std::string rcpt_to = "<" + formatted->envelope_to + ">";
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt(curl_slist_append(nullptr, rcpt_to.c_str()),
                                                                       &curl_slist_free_all);
    if (!rcpt) return SendError::server_error;
    ReadState state{formatted->data};

    curl_easy_setopt(h, CURLOPT_URL, server_url_.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(tls_required_ ? CURLUSESSL_ALL : CURLUSESSL_NONE));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM for timeouts
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_callback);
    curl_easy_setopt(h, CURLOPT_READDATA, &state);

    std::string password;
    if (!username_.empty()) {
        const auto secret = password_.reveal();
        password.assign(reinterpret_cast<const char*>(secret.data()), secret.size());
        curl_easy_setopt(h, CURLOPT_USERNAME, username_.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
    }
    const CURLcode code = curl_easy_perform(h);
    if (!password.empty()) crypto::wipe(password.data(), password.size());
    if (code == CURLE_OK) return {};
    long response = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
    return map_error(code, response);
}

}  // namespace bulwark::mail
