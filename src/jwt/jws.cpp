// JWS compact serialization (RFC 7515 §7.1): strict parsing, then the signature, and only
// then the payload. The header is the one part read before the signature is known good, so
// it is parsed with the same strict reader and trusted for nothing but picking the key.
#include "compact.hpp"
#include "key_impl.hpp"

#include <boost/json/serialize.hpp>

#include <cstring>
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

// HeaderCache: this thread's last accepted header, by its exact base64url text. An issuer's
// tokens all carry the same header bytes, so after the first one a header is compared, not
// decoded and parsed again; a different byte anywhere is a miss and the full path runs. It
// keeps only what the header alone decides (the algorithm it names, its kid), never a key or
// a verdict about one: the key lookup and the algorithm check run on every token.
struct HeaderCache {
    static constexpr std::size_t kMaxText = 512;  // longer headers are not cached
    bool valid = false;
    std::size_t text_size = 0;
    std::size_t json_size = 0;
    std::size_t kid_size = 0;
    bool has_kid = false;
    Algorithm alg = Algorithm::hs256;
    std::array<char, kMaxText> text;
    std::array<char, kMaxText> json;  // the decoded text is shorter than the encoded one
    std::array<char, kMaxKid> kid;

    bool holds(std::string_view b64) const noexcept {
        return valid && b64.size() == text_size && std::memcmp(b64.data(), text.data(), text_size) == 0;
    }
    void keep(std::string_view b64, std::string_view header_json, Algorithm a,
              std::optional<std::string_view> k) noexcept {
        valid = false;
        if (b64.size() > kMaxText || header_json.size() > kMaxText || (k && k->size() > kMaxKid)) return;
        std::memcpy(text.data(), b64.data(), b64.size());
        text_size = b64.size();
        std::memcpy(json.data(), header_json.data(), header_json.size());
        json_size = header_json.size();
        alg = a;
        has_kid = k.has_value();
        kid_size = k ? k->size() : 0;
        if (k) std::memcpy(kid.data(), k->data(), k->size());
        valid = true;
    }
    std::optional<std::string_view> kid_view() const noexcept {
        if (!has_kid) return std::nullopt;
        return std::string_view(kid.data(), kid_size);
    }
};

thread_local HeaderCache tl_header_cache;

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

Result<void, JwtError> verify_token(std::string_view token, const KeySet& keys,
                                    ObjectReader& scratch, DecodedToken& out) noexcept {
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
        auto n = crypto::base64url_decode_into(part, std::span(buffer + used, out.bytes.size() - used));
        if (!n) return std::nullopt;
        std::string_view text(reinterpret_cast<const char*>(buffer + used), *n);
        used += *n;
        return text;
    };

    std::optional<std::string_view> header_json;
    std::optional<std::string_view> kid;
    Algorithm alg;
    HeaderCache& cache = tl_header_cache;
    if (cache.holds(header_b64)) {
        std::memcpy(buffer, cache.json.data(), cache.json_size);
        header_json = std::string_view(reinterpret_cast<const char*>(buffer), cache.json_size);
        used = cache.json_size;
        alg = cache.alg;
        kid = cache.kid_view();
    } else {
        header_json = decode(header_b64);
        if (!header_json) return JwtError::malformed;
        if (auto read = scratch.read(*header_json); !read) return read.error();

        // Any extension the producer marks critical is one we do not implement (RFC 7515 §4.1.11).
        if (scratch[Name::crit].kind != Kind::absent) return JwtError::unsupported_crit;
        if (const Member& typ = scratch[Name::typ]; typ.kind != Kind::absent) {
            if (typ.kind != Kind::string || !ascii_iequal(typ.text, "JWT")) return JwtError::bad_header;
        }
        if (const Member& k = scratch[Name::kid]; k.kind != Kind::absent) {
            if (k.kind != Kind::string || k.text.size() > kMaxKid) return JwtError::bad_header;
            kid = k.text;
        }
        const Member& alg_value = scratch[Name::alg];
        if (alg_value.kind != Kind::string) return JwtError::algorithm_mismatch;
        auto named = algorithm_from_name(alg_value.text);
        if (!named) return JwtError::algorithm_mismatch;  // "none" and unknown names land here
        alg = *named;
        cache.keep(header_b64, *header_json, alg, kid);
        if (cache.holds(header_b64)) kid = cache.kid_view();  // outlives the reader's next read
    }

    const Key* key = keys.find(kid);
    if (!key) return JwtError::unknown_key;
    // The key decides the algorithm; the token only has to agree (RFC 8725 §3.1).
    if (key->algorithm() != alg) return JwtError::algorithm_mismatch;

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
