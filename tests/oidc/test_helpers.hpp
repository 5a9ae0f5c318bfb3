// Shared by the oidc unit tests: a provider key, ID tokens made to order, a fake transport.
#pragma once

#include <bulwark/oidc.hpp>

#include <boost/json/serialize.hpp>

#include <functional>
#include <map>
#include <string>

namespace oidc_test {

namespace oidc = bulwark::oidc;
namespace jwt = bulwark::jwt;

inline const std::string kIssuer = "https://idp.example.com";
inline const std::string kClientId = "bulwark-app";
inline const std::string kNonce = "n-0S6_WzA2Mj";
inline constexpr std::int64_t kNow = 1'800'000'000;

// provider_key: one RS256 key for the whole test binary (RSA generation is slow).
inline const jwt::Key& provider_key() {
    static const jwt::Key key = jwt::Key::generate(jwt::Algorithm::rs256, "k1");
    return key;
}
inline std::string jwks_of(const std::vector<jwt::Key>& keys) {
    boost::json::array list;
    for (const auto& k : keys) list.push_back(*k.public_jwk());
    return boost::json::serialize(boost::json::object{{"keys", list}});
}

inline boost::json::object good_claims() {
    return {{"iss", kIssuer}, {"sub", "248289761001"}, {"aud", kClientId}, {"nonce", kNonce},
            {"iat", kNow - 5}, {"exp", kNow + 600}, {"email", "alice@example.com"}, {"email_verified", true}};
}
inline std::string sign(const boost::json::object& claims, const jwt::Key& key = provider_key()) {
    return *jwt::sign_compact(boost::json::serialize(claims), key);
}
// unsigned_token: a token with any header and an empty or given signature (alg none, HS256).
inline std::string unsigned_token(const boost::json::object& header, const boost::json::object& claims,
                                  const std::string& signature = "") {
    auto b64 = [](const std::string& s) { return bulwark::crypto::base64url_encode(bulwark::crypto::as_bytes(s)); };
    return b64(boost::json::serialize(header)) + "." + b64(boost::json::serialize(claims)) + "." + signature;
}

inline std::string discovery_json(const std::string& issuer = kIssuer) {
    return boost::json::serialize(boost::json::object{
        {"issuer", issuer},
        {"authorization_endpoint", kIssuer + "/authorize"},
        {"token_endpoint", kIssuer + "/token"},
        {"jwks_uri", kIssuer + "/jwks"},
        {"response_types_supported", boost::json::array{"code"}},
        {"id_token_signing_alg_values_supported", boost::json::array{"RS256"}},
        {"code_challenge_methods_supported", boost::json::array{"S256"}}});
}

// FakeTransport: answers by URL; records every request.
class FakeTransport : public oidc::Transport {
public:
    std::map<std::string, std::function<oidc::HttpResponse(const oidc::HttpRequest&)>> routes;
    std::vector<oidc::HttpRequest> seen;
    bulwark::Result<oidc::HttpResponse, oidc::Error> send(const oidc::HttpRequest& r) override {
        seen.push_back(r);
        auto it = routes.find(r.url);
        if (it == routes.end()) return oidc::Error::fetch_failed;
        return it->second(r);
    }
    std::size_t count(const std::string& url) const {
        std::size_t n = 0;
        for (const auto& r : seen) n += r.url == url;
        return n;
    }
};

}  // namespace oidc_test
