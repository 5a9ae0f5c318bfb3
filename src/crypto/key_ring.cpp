// The key ring: one secret per generation, one derived subkey per purpose.
#include <bulwark/crypto.hpp>

#include <stdexcept>
#include <string>

namespace bulwark::crypto {
namespace {

// derive computes HMAC-SHA256(key, "bulwark/" + purpose), the expand step of RFC 5869 with the
// secret itself as the pseudo-random key: the subkeys of two purposes are independent, so a
// MAC made for sessions can never be replayed as a CSRF token.
SecretBytes derive(const SecretBytes& key, Purpose purpose) {
    std::string info = "bulwark/";
    info += purpose_name(purpose);
    auto mac = hmac_sha256(key.reveal(), as_bytes(info));
    SecretBytes out{ByteView{mac.data(), mac.size()}};
    wipe(mac.data(), mac.size());
    return out;
}

}  // namespace

std::string_view purpose_name(Purpose p) noexcept {
    switch (p) {
        case Purpose::session: return "session";
        case Purpose::csrf: return "csrf";
        case Purpose::jwt: return "jwt";
        case Purpose::remember_me: return "remember_me";
        case Purpose::api_key: return "api_key";
        case Purpose::signed_value: return "signed_value";
        case Purpose::account_token: return "account_token";
        case Purpose::webhook: return "webhook";
    }
    return "unknown";
}

KeyRing::KeyRing(SecretBytes current, std::vector<SecretBytes> fallbacks)
    : current_(std::move(current)), fallbacks_(std::move(fallbacks)) {
    // An empty key would make every MAC forgeable by anyone: refuse to start.
    if (current_.empty()) throw std::invalid_argument("KeyRing: the current secret key is empty");
    for (const auto& k : fallbacks_)
        if (k.empty()) throw std::invalid_argument("KeyRing: a fallback secret key is empty");
}

SecretBytes KeyRing::subkey(Purpose purpose) const { return derive(current_, purpose); }

std::vector<SecretBytes> KeyRing::subkeys(Purpose purpose) const {
    std::vector<SecretBytes> out;
    out.reserve(1 + fallbacks_.size());
    out.push_back(derive(current_, purpose));
    for (const auto& k : fallbacks_) out.push_back(derive(k, purpose));
    return out;
}

}  // namespace bulwark::crypto
