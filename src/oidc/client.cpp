// Client: the I/O around the sans-I/O checks. Discovery and JWKS are cached; an unknown kid
// refetches the JWKS (the provider rotated its keys) at most once per jwks_refetch_interval,
// so tokens with made-up kids cannot make us hammer the provider.
#include "strict_json.hpp"

#include <algorithm>
#include <stdexcept>

namespace bulwark::oidc {
namespace {

bool is_hmac(jwt::Algorithm a) {
    return a == jwt::Algorithm::hs256 || a == jwt::Algorithm::hs384 || a == jwt::Algorithm::hs512;
}

void check_config(const Config& c) {
    if (c.issuer.empty()) throw std::invalid_argument("oidc: issuer is required");
    if (c.client_id.empty()) throw std::invalid_argument("oidc: client_id is required");
    if (!detail::check_url(c.issuer, c.insecure_http))
        throw std::invalid_argument("oidc: the issuer must be an https URL (http only for loopback, when allowed)");
    if (c.allowed_algorithms.empty()) throw std::invalid_argument("oidc: no allowed algorithm");
    for (auto a : c.allowed_algorithms)
        if (is_hmac(a)) throw std::invalid_argument("oidc: HMAC algorithms are never accepted for ID tokens");
    if (c.leeway < std::chrono::seconds(0) || c.leeway > kMaxLeeway)
        throw std::invalid_argument("oidc: leeway must be 0 to 60 seconds");
    if (c.max_token_age <= std::chrono::seconds(0) || c.max_login_time <= std::chrono::seconds(0))
        throw std::invalid_argument("oidc: lifetimes must be positive");
}

}  // namespace

Client::Client(Config config, std::shared_ptr<Transport> transport)
    : config_(std::move(config)), transport_(std::move(transport)) {
    check_config(config_);
    if (!transport_) transport_ = curl_transport(config_);
}

void Client::set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds) { clock_ = std::move(now_unix_seconds); }

std::int64_t Client::now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<ProviderMetadata, Error> Client::metadata() {
    std::lock_guard lock(mutex_);
    const auto t = now();
    if (metadata_ && t - metadata_fetched_at_ < config_.metadata_ttl.count()) return *metadata_;
    auto response = transport_->send({discovery_url(config_.issuer), {}, {}});
    if (!response) return response.error();
    if (response->status != 200) return Error::http_status;
    auto parsed = parse_discovery(response->body, config_.issuer, config_.insecure_http);
    if (!parsed) return parsed.error();
    metadata_ = *parsed;
    metadata_fetched_at_ = t;
    return std::move(*parsed);
}

Result<std::shared_ptr<const Jwks>, Error> Client::jwks(bool force_refetch) {
    auto m = metadata();
    if (!m) return m.error();
    std::lock_guard lock(mutex_);
    const auto t = now();
    if (jwks_) {
        const auto age = t - jwks_fetched_at_;
        if (!force_refetch && age < config_.metadata_ttl.count()) return jwks_;
        if (force_refetch && age < config_.jwks_refetch_interval.count()) return jwks_;
    }
    auto response = transport_->send({m->jwks_uri, {}, {}});
    if (!response) return response.error();
    if (response->status != 200) return Error::http_status;
    auto parsed = Jwks::parse(response->body);
    if (!parsed) return parsed.error();
    jwks_ = std::make_shared<const Jwks>(std::move(*parsed));
    jwks_fetched_at_ = t;
    return jwks_;
}

Result<AuthRequest, Error> Client::begin(std::string_view redirect_uri) {
    const std::string uri(redirect_uri.empty() ? std::string_view(config_.redirect_uri) : redirect_uri);
    if (uri.empty()) return Error::missing_field;
    auto m = metadata();
    if (!m) return m.error();
    auto pending = new_pending_login(now(), uri);
    auto url = authorization_url(*m, config_, pending);
    return AuthRequest{std::move(url), std::move(pending)};
}

Result<TokenResponse, Error> Client::exchange_code(std::string_view code, std::string_view code_verifier,
                                                   std::string_view redirect_uri) {
    auto m = metadata();
    if (!m) return m.error();
    std::vector<std::pair<std::string, std::string>> fields{{"grant_type", "authorization_code"},
                                                            {"code", std::string(code)},
                                                            {"redirect_uri", std::string(redirect_uri)},
                                                            {"code_verifier", std::string(code_verifier)}};
    HttpRequest request{m->token_endpoint, {}, {}};
    const auto secret = config_.client_secret.reveal();
    std::string secret_text(reinterpret_cast<const char*>(secret.data()), secret.size());
    if (secret_text.empty()) {
        fields.emplace_back("client_id", config_.client_id);  // a public client: PKCE alone
    } else if (config_.client_auth == ClientAuth::client_secret_post) {
        fields.emplace_back("client_id", config_.client_id);
        fields.emplace_back("client_secret", secret_text);
    } else {
        // client_secret_basic: both parts form-encoded first (RFC 6749 §2.3.1).
        std::string pair = form_encode({{"u", config_.client_id}}).substr(2) + ":" +
                           form_encode({{"p", secret_text}}).substr(2);
        request.headers.emplace_back("Authorization", "Basic " + crypto::base64_encode(crypto::as_bytes(pair)));
        crypto::wipe(pair.data(), pair.size());
    }
    request.form_body = form_encode(fields);
    crypto::wipe(secret_text.data(), secret_text.size());
    for (auto& [name, value] : fields) crypto::wipe(value.data(), value.size());
    auto response = transport_->send(request);
    crypto::wipe(request.form_body.data(), request.form_body.size());
    for (auto& [name, value] : request.headers) crypto::wipe(value.data(), value.size());
    if (!response) return response.error();
    return parse_token_response(response->status, response->body);
}

Result<Identity, Error> Client::finish(const PendingLogin& pending, std::string_view untrusted_state,
                                       std::string_view untrusted_code) {
    const auto t = now();
    if (pending.state.empty() || pending.code_verifier.empty() || pending.nonce.empty()) return Error::state_mismatch;
    if (t - pending.created_at > config_.max_login_time.count() || pending.created_at - t > config_.leeway.count())
        return Error::state_mismatch;
    // The state binds the callback to the browser that started the login (RFC 6749 §10.12):
    // without it an attacker could log the victim in to the attacker's account.
    if (!crypto::equal(untrusted_state, pending.state)) return Error::state_mismatch;
    if (untrusted_code.empty() || untrusted_code.size() > 2048) return Error::provider_error;

    auto tokens = exchange_code(untrusted_code, pending.code_verifier,
                                pending.redirect_uri.empty() ? config_.redirect_uri : pending.redirect_uri);
    if (!tokens) return tokens.error();

    const IdTokenCheck check{config_.issuer, config_.client_id, pending.nonce, t, config_.leeway,
                             config_.max_token_age, config_.allowed_algorithms};
    auto keys = jwks(false);
    if (!keys) return keys.error();
    auto who = verify_id_token(tokens->id_token, **keys, check);
    if (!who && who.error() == Error::no_usable_key) {
        keys = jwks(true);
        if (!keys) return keys.error();
        who = verify_id_token(tokens->id_token, **keys, check);
    }
    return who;
}

}  // namespace bulwark::oidc
