// JWS compact serialization (RFC 7515 §7.1): strict parsing, then the signature, and only
// then the payload. The header is the one part read before the signature is known good, so
// it is parsed with the same strict reader and trusted for nothing but picking the key.
#include "compact.hpp"
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

std::optional<std::size_t> decode_base64url(std::string_view text, std::uint8_t* out,
                                            std::size_t capacity) noexcept {
    static constexpr auto kTable = [] {
        std::array<std::int8_t, 256> t{};
        t.fill(-1);
        constexpr std::string_view kAlphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for (std::size_t i = 0; i < kAlphabet.size(); ++i)
            t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
        return t;
    }();
    const std::size_t rest = text.size() % 4;
    if (rest == 1) return std::nullopt;
    const std::size_t size = text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
    if (size > capacity) return std::nullopt;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    auto at = [&](std::size_t i) { return static_cast<std::int32_t>(kTable[in[i]]); };
    std::size_t o = 0;
    const std::size_t whole = text.size() - rest;
    for (std::size_t i = 0; i < whole; i += 4) {
        const std::int32_t a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
        if ((a | b | c | d) < 0) return std::nullopt;
        const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
        out[o++] = static_cast<std::uint8_t>(v >> 16);
        out[o++] = static_cast<std::uint8_t>(v >> 8);
        out[o++] = static_cast<std::uint8_t>(v);
    }
    // Bits past the last byte must be zero: one value, one spelling (as crypto's decoder).
    if (rest == 2) {
        const std::int32_t a = at(whole), b = at(whole + 1);
        if ((a | b) < 0 || (b & 0x0f) != 0) return std::nullopt;
        out[o] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    } else if (rest == 3) {
        const std::int32_t a = at(whole), b = at(whole + 1), c = at(whole + 2);
        if ((a | b | c) < 0 || (c & 0x03) != 0) return std::nullopt;
        out[o] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
        out[o + 1] = static_cast<std::uint8_t>(((b & 0x0f) << 4) | (c >> 2));
    }
    return size;
}

Result<void, JwtError> verify_token(std::string_view token, const KeySet& keys,
                                    ObjectReader& header, DecodedToken& out) noexcept {
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

    // The three parts decode into one buffer: together they are shorter than the token.
    std::uint8_t* const buffer = out.bytes.data();
    std::size_t used = 0;
    auto decode = [&](std::string_view part) -> std::optional<std::string_view> {
        auto n = decode_base64url(part, buffer + used, out.bytes.size() - used);
        if (!n) return std::nullopt;
        std::string_view text(reinterpret_cast<const char*>(buffer + used), *n);
        used += *n;
        return text;
    };

    auto header_json = decode(header_b64);
    if (!header_json) return JwtError::malformed;
    if (auto read = header.read(*header_json); !read) return read.error();

    // Any extension the producer marks critical is one we do not implement (RFC 7515 §4.1.11).
    if (header[Name::crit].kind != Kind::absent) return JwtError::unsupported_crit;
    if (const Member& typ = header[Name::typ]; typ.kind != Kind::absent) {
        if (typ.kind != Kind::string || !ascii_iequal(typ.text, "JWT")) return JwtError::bad_header;
    }
    std::optional<std::string_view> kid;
    if (const Member& k = header[Name::kid]; k.kind != Kind::absent) {
        if (k.kind != Kind::string || k.text.size() > kMaxKid) return JwtError::bad_header;
        kid = k.text;
    }
    const Member& alg_value = header[Name::alg];
    if (alg_value.kind != Kind::string) return JwtError::algorithm_mismatch;
    auto alg = algorithm_from_name(alg_value.text);
    if (!alg) return JwtError::algorithm_mismatch;  // "none" and unknown names land here

    const Key* key = keys.find(kid);
    if (!key) return JwtError::unknown_key;
    // The key decides the algorithm; the token only has to agree (RFC 8725 §3.1).
    if (key->algorithm() != *alg) return JwtError::algorithm_mismatch;

    auto sig = decode(sig_b64);
    if (!sig) return JwtError::malformed;
    if (!key->verify_bytes(crypto::as_bytes(token.substr(0, dot2)), crypto::as_bytes(*sig)))
        return JwtError::bad_signature;

    auto payload = decode(payload_b64);
    if (!payload) return JwtError::malformed;
    out.header_json = *header_json;
    out.payload_json = *payload;
    out.kid = kid.value_or(std::string_view());
    return {};
}

Result<Jws, JwtError> verify_compact(std::string_view token, const KeySet& keys) {
    ObjectReader reader;
    DecodedToken decoded;
    if (auto ok = verify_token(token, keys, reader, decoded); !ok) return ok.error();
    auto header = parse_json_object(decoded.header_json);  // accepted above, so it parses
    if (!header) return header.error();
    Jws out;
    out.header = std::move(*header);
    out.payload.assign(decoded.payload_json);
    out.kid.assign(decoded.kid);
    return out;
}

}  // namespace bulwark::jwt
