// Fuzz the provider's documents and the ID token check: discovery, JWKS, token response, and
// an ID token against a fixed key set. None may crash, hang or accept garbage as an identity.
#include <bulwark/oidc.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace oidc = bulwark::oidc;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)oidc::parse_discovery(input, "https://idp.example.com");
    (void)oidc::parse_discovery(input, "http://127.0.0.1:1", oidc::InsecureHttp::allow_loopback_for_testing);
    (void)oidc::parse_token_response(200, input);
    auto jwks = oidc::Jwks::parse(input);
    if (jwks) {
        (void)jwks->key_for("k1", bulwark::jwt::Algorithm::rs256);
        (void)jwks->key_for(std::nullopt, bulwark::jwt::Algorithm::es256);
    }
    static const oidc::Jwks empty = *oidc::Jwks::parse(R"({"keys":[]})");
    const oidc::IdTokenCheck check{"https://idp.example.com", "app", "nonce", 1'800'000'000,
                                   std::chrono::seconds(30), std::chrono::seconds(600),
                                   {bulwark::jwt::Algorithm::rs256, bulwark::jwt::Algorithm::es256}};
    auto who = oidc::verify_id_token(input, jwks ? *jwks : empty, check);
    if (who && who->subject.empty()) std::abort();
    (void)oidc::pending_from_json(boost::json::value(input));
    return 0;
}
