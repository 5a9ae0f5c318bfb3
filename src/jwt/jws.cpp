// JWS compact serialization (RFC 7515 §7.1): strict parsing, then the signature, and only
// then the payload. The header is the one part read before the signature is known good, so
// it is parsed with the same strict reader and trusted for nothing but picking the key.
#include "key_impl.hpp"

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;
constexpr std::size_t kMaxKid = 256;

bool ascii_iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
        if (x != y) return false;
    }
    return true;
}

}  // namespace

KeySet::KeySet(std::vector<Key> keys) : keys_(std::move(keys)) {
    if (keys_.empty()) throw std::invalid_argument("jwt: a key set needs at least one key");
    for (std::size_t i = 0; i < keys_.size(); ++i)
        for (std::size_t j = i + 1; j < keys_.size(); ++j)
            if (keys_[i].kid() == keys_[j].kid())
                throw std::invalid_argument("jwt: two keys share a kid");
}

const Key* KeySet::find(std::optional<std::string_view> kid) const noexcept {
    if (!kid) return keys_.size() == 1 ? &keys_.front() : nullptr;
    for (const Key& k : keys_)
        if (k.kid() == *kid) return &k;
    return nullptr;
}

const Key* KeySet::signing_key() const noexcept {
    for (const Key& k : keys_)
        if (k.can_sign()) return &k;
    return nullptr;
}

Result<std::string, JwtError> sign_compact(std::string_view payload_json, const Key& key) {
    json::object header;
    header["alg"] = algorithm_name(key.algorithm());
    header["typ"] = "JWT";
    if (!key.kid().empty()) header["kid"] = key.kid();
    std::string out = crypto::base64url_encode(crypto::as_bytes(json::serialize(header)));
    out += '.';
    out += crypto::base64url_encode(crypto::as_bytes(payload_json));
    auto sig = key.sign_bytes(crypto::as_bytes(out));
    if (!sig) return sig.error();
    out += '.';
    out += crypto::base64url_encode(*sig);
    return out;
}

Result<Jws, JwtError> verify_compact(std::string_view token, const KeySet& keys) {
    if (token.empty()) return JwtError::missing;
    if (token.size() > kMaxTokenSize) return JwtError::too_large;
    std::size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return JwtError::malformed;
    std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return JwtError::malformed;  // JWE (five parts) and anything else is not ours
    std::string_view header_b64 = token.substr(0, dot1);
    std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string_view sig_b64 = token.substr(dot2 + 1);

    auto header_bytes = crypto::base64url_decode(header_b64);
    if (!header_bytes) return JwtError::malformed;
    auto header = parse_json_object(std::string_view(
        reinterpret_cast<const char*>(header_bytes->data()), header_bytes->size()));
    if (!header) return header.error();

    // Any extension the producer marks critical is one we do not implement (RFC 7515 §4.1.11).
    if (header->contains("crit")) return JwtError::unsupported_crit;
    if (const json::value* typ = header->if_contains("typ")) {
        if (!typ->is_string() || !ascii_iequal(typ->as_string(), "JWT")) return JwtError::bad_header;
    }
    std::optional<std::string_view> kid;
    if (const json::value* k = header->if_contains("kid")) {
        if (!k->is_string() || k->as_string().size() > kMaxKid) return JwtError::bad_header;
        kid = std::string_view(k->as_string());
    }
    const json::value* alg_value = header->if_contains("alg");
    if (!alg_value || !alg_value->is_string()) return JwtError::algorithm_mismatch;
    auto alg = algorithm_from_name(alg_value->as_string());
    if (!alg) return JwtError::algorithm_mismatch;  // "none" and unknown names land here

    const Key* key = keys.find(kid);
    if (!key) return JwtError::unknown_key;
    // The key decides the algorithm; the token only has to agree (RFC 8725 §3.1).
    if (key->algorithm() != *alg) return JwtError::algorithm_mismatch;

    auto sig = crypto::base64url_decode(sig_b64);
    if (!sig) return JwtError::malformed;
    if (!key->verify_bytes(crypto::as_bytes(token.substr(0, dot2)), *sig))
        return JwtError::bad_signature;

    auto payload = crypto::base64url_decode(payload_b64);
    if (!payload) return JwtError::malformed;
    Jws out;
    out.header = std::move(*header);
    out.payload.assign(reinterpret_cast<const char*>(payload->data()), payload->size());
    out.kid = kid ? std::string(*kid) : std::string();
    return out;
}

}  // namespace bulwark::jwt
