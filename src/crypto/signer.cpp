// Signed, timestamped values: `b64(value).b64(timestamp).b64(mac)`, all unpadded base64url.
//
// The MAC is HMAC-SHA256 with the purpose's subkey over a domain tag, the purpose name and
// SHA-256 of the text before the last dot. Hashing the text once and MACing the 32-byte digest
// lets unsign try every purpose's subkey (to tell `wrong_purpose` from `bad_signature`) for the
// price of a few short HMACs, not one pass over up to 16 KiB per key.
#include <bulwark/crypto.hpp>

#include <limits>

namespace bulwark::crypto {
namespace {

constexpr std::string_view kDomain = "bulwark.signed.v1";
constexpr Purpose kAllPurposes[] = {
    Purpose::session,       Purpose::csrf,          Purpose::jwt,     Purpose::remember_me,
    Purpose::api_key,       Purpose::signed_value,  Purpose::account_token, Purpose::webhook,
};
constexpr std::size_t kMacSize = 32;
constexpr std::int64_t kFutureLeewaySeconds = Signer::kFutureLeeway.count();

std::size_t index_of(Purpose p) { return static_cast<std::size_t>(p); }

std::array<std::uint8_t, kMacSize> mac_of(const SecretBytes& key, Purpose purpose,
                                          const std::array<std::uint8_t, 32>& digest) {
    std::string input;
    input.reserve(kDomain.size() + 24 + digest.size());
    input += kDomain;
    input += '\0';
    input += purpose_name(purpose);
    input += '\0';
    input.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return hmac_sha256(key.reveal(), as_bytes(input));
}

std::string encode_timestamp(std::uint64_t seconds) {
    std::uint8_t raw[8];
    for (int i = 7; i >= 0; --i) {
        raw[i] = static_cast<std::uint8_t>(seconds & 0xff);
        seconds >>= 8;
    }
    std::size_t start = 0;
    while (start < 7 && raw[start] == 0) ++start;  // minimal big-endian, at least one byte
    return base64url_encode(ByteView{raw + start, 8 - start});
}

// decode_timestamp accepts only the minimal encoding, so each timestamp has one spelling.
std::optional<std::uint64_t> decode_timestamp(std::string_view text) {
    auto raw = base64url_decode(text);
    if (!raw || raw->empty() || raw->size() > 8) return std::nullopt;
    if (raw->size() > 1 && (*raw)[0] == 0) return std::nullopt;
    std::uint64_t v = 0;
    for (std::uint8_t b : *raw) v = (v << 8) | b;
    return v;
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    return s < 0 ? 0 : static_cast<std::int64_t>(s);
}

}  // namespace

std::string_view unsign_error_name(UnsignError e) noexcept {
    switch (e) {
        case UnsignError::malformed: return "malformed";
        case UnsignError::bad_signature: return "bad_signature";
        case UnsignError::wrong_purpose: return "wrong_purpose";
        case UnsignError::expired: return "expired";
    }
    return "unknown";
}

Signer::Signer(KeyRing ring) : ring_(std::move(ring)) {
    // Derive every subkey once: unsign then costs no key derivation.
    keys_.resize(std::size(kAllPurposes));
    for (Purpose p : kAllPurposes) keys_[index_of(p)] = ring_.subkeys(p);
}

std::string Signer::sign(std::string_view value, Purpose purpose) const {
    return sign_at(value, purpose, std::chrono::system_clock::now());
}

std::string Signer::sign_at(std::string_view value, Purpose purpose,
                            std::chrono::system_clock::time_point now) const {
    std::string text = base64url_encode(as_bytes(value));
    text += '.';
    text += encode_timestamp(static_cast<std::uint64_t>(unix_seconds(now)));
    const auto digest = sha256(as_bytes(text));
    auto mac = mac_of(keys_.at(index_of(purpose)).front(), purpose, digest);  // throws only
                                                                              // for a cast int
    text += '.';
    text += base64url_encode(mac);
    return text;
}

Result<std::string, UnsignError> Signer::unsign(std::string_view signed_value, Purpose purpose,
                                                std::chrono::seconds max_age) const {
    return unsign_at(signed_value, purpose, max_age, std::chrono::system_clock::now());
}

Result<std::string, UnsignError> Signer::unsign_at(std::string_view signed_value, Purpose purpose,
                                                   std::chrono::seconds max_age,
                                                   std::chrono::system_clock::time_point now) const {
    if (index_of(purpose) >= keys_.size()) return UnsignError::wrong_purpose;  // not a Purpose
    if (signed_value.empty() || signed_value.size() > kMaxSignedValue) return UnsignError::malformed;
    const auto last_dot = signed_value.rfind('.');
    if (last_dot == std::string_view::npos) return UnsignError::malformed;
    const auto mid_dot = signed_value.rfind('.', last_dot == 0 ? 0 : last_dot - 1);
    if (mid_dot == std::string_view::npos || mid_dot >= last_dot) return UnsignError::malformed;
    const std::string_view value_text = signed_value.substr(0, mid_dot);
    const std::string_view ts_text = signed_value.substr(mid_dot + 1, last_dot - mid_dot - 1);
    const std::string_view mac_text = signed_value.substr(last_dot + 1);

    auto mac = base64url_decode(mac_text);
    if (!mac || mac->size() != kMacSize) return UnsignError::malformed;
    const auto timestamp = decode_timestamp(ts_text);
    if (!timestamp) return UnsignError::malformed;
    auto value = base64url_decode(value_text);  // also refuses a stray '.' inside the value
    if (!value) return UnsignError::malformed;

    const auto digest = sha256(as_bytes(signed_value.substr(0, last_dot)));
    // Every key of the ring is tried, without stopping early, so the time taken does not tell
    // which generation of key matched.
    auto matches = [&](Purpose p) {
        bool found = false;
        for (const auto& key : keys_[index_of(p)]) {
            const auto expected = mac_of(key, p, digest);
            found |= equal(ByteView{expected.data(), expected.size()}, *mac);
        }
        return found;
    };
    if (!matches(purpose)) {
        // Only a MAC that is valid for another purpose earns `wrong_purpose`: the claim is
        // authenticated, never read from attacker-controlled text.
        for (Purpose other : kAllPurposes)
            if (other != purpose && matches(other)) return UnsignError::wrong_purpose;
        return UnsignError::bad_signature;
    }

    const std::int64_t now_s = unix_seconds(now);
    constexpr auto kMaxTs = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (*timestamp > kMaxTs - kFutureLeewaySeconds ||
        static_cast<std::int64_t>(*timestamp) > now_s + kFutureLeewaySeconds)
        return UnsignError::expired;  // dated in the future beyond the leeway
    const std::int64_t age = now_s - static_cast<std::int64_t>(*timestamp);
    if (max_age.count() < 0 || age > max_age.count()) return UnsignError::expired;
    return std::string(value->begin(), value->end());
}

}  // namespace bulwark::crypto
