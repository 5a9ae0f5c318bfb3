// The tokens: masked synchronizer token, signed time-limited token, double-submit value.
#include <bulwark/csrf.hpp>

#include <array>
#include <cstdint>

namespace bulwark::csrf {
namespace {

constexpr std::size_t kMaskedBytes = 2 * kSecretSize;
constexpr std::uint8_t kSignedVersion = 1;
constexpr std::size_t kNonceBytes = 16;
constexpr std::size_t kSignedHeader = 1 + 8 + kNonceBytes;
constexpr std::size_t kSignedBytes = kSignedHeader + 32;
constexpr std::size_t kMinDoubleSubmit = 16;
constexpr std::chrono::seconds kFutureLeeway{60};
// Domain separation: this MAC can never be confused with another use of the csrf subkey.
constexpr std::string_view kSignedContext = "bulwark/csrf-signed/v1";

std::array<std::uint8_t, 32> signed_mac(const crypto::SecretBytes& key, crypto::ByteView header,
                                        std::string_view binding) {
    crypto::Bytes message;
    message.reserve(kSignedContext.size() + 1 + header.size() + binding.size());
    message.insert(message.end(), kSignedContext.begin(), kSignedContext.end());
    message.push_back(0);
    message.insert(message.end(), header.begin(), header.end());
    message.insert(message.end(), binding.begin(), binding.end());
    return crypto::hmac_sha256(key.reveal(), message);
}

}  // namespace

std::string_view error_name(CsrfError e) noexcept {
    switch (e) {
        case CsrfError::missing: return "missing";
        case CsrfError::malformed: return "malformed";
        case CsrfError::mismatch: return "mismatch";
        case CsrfError::session_missing: return "session_missing";
        case CsrfError::origin_refused: return "origin_refused";
        case CsrfError::referer_missing: return "referer_missing";
        case CsrfError::cross_site: return "cross_site";
        case CsrfError::expired: return "expired";
    }
    return "unknown";
}

std::string_view error_message(CsrfError e) noexcept {
    switch (e) {
        case CsrfError::missing: return "The CSRF token is missing.";
        case CsrfError::malformed: return "The CSRF token is invalid.";
        case CsrfError::mismatch: return "The CSRF tokens do not match.";
        case CsrfError::session_missing: return "The CSRF session token is missing.";
        case CsrfError::origin_refused: return "The referrer does not match the host.";
        case CsrfError::referer_missing: return "The referrer header is missing.";
        case CsrfError::cross_site: return "The request came from another site.";
        case CsrfError::expired: return "The CSRF token has expired.";
    }
    return "The CSRF token is invalid.";
}

crypto::SecretBytes new_session_secret() {
    crypto::Bytes raw = crypto::random_bytes(kSecretSize);
    crypto::SecretBytes secret{crypto::ByteView{raw}};
    crypto::wipe(raw.data(), raw.size());
    return secret;
}

std::string masked_token(const crypto::SecretBytes& secret) {
    if (secret.size() != kSecretSize) return {};
    // A fresh one-time pad per render: the bytes on the page change every time, so a
    // compression side channel (BREACH) has no stable secret to recover.
    crypto::Bytes buf = crypto::random_bytes(kMaskedBytes);
    const auto s = secret.reveal();
    for (std::size_t i = 0; i < kSecretSize; ++i) buf[kSecretSize + i] = buf[i] ^ s[i];
    std::string token = crypto::base64url_encode(buf);
    crypto::wipe(buf.data(), buf.size());
    return token;
}

Result<void, CsrfError> verify(const crypto::SecretBytes& secret, std::string_view untrusted_token) {
    if (untrusted_token.empty()) return CsrfError::missing;
    if (secret.size() != kSecretSize) return CsrfError::session_missing;
    if (untrusted_token.size() > kMaxTokenLength) return CsrfError::malformed;
    auto raw = crypto::base64url_decode(untrusted_token);
    if (!raw || raw->size() != kMaskedBytes) return CsrfError::malformed;
    std::array<std::uint8_t, kSecretSize> unmasked{};
    for (std::size_t i = 0; i < kSecretSize; ++i) unmasked[i] = (*raw)[i] ^ (*raw)[kSecretSize + i];
    const bool same = crypto::equal(unmasked, secret.reveal());
    crypto::wipe(unmasked.data(), unmasked.size());
    crypto::wipe(raw->data(), raw->size());
    if (!same) return CsrfError::mismatch;
    return {};
}

std::string signed_token(const crypto::SecretBytes& csrf_subkey, std::string_view binding,
                         std::chrono::system_clock::time_point now) {
    crypto::Bytes buf;
    buf.reserve(kSignedBytes);
    buf.push_back(kSignedVersion);
    const auto issued = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    for (int shift = 56; shift >= 0; shift -= 8) buf.push_back(static_cast<std::uint8_t>(issued >> shift));
    const auto nonce = crypto::random_bytes(kNonceBytes);
    buf.insert(buf.end(), nonce.begin(), nonce.end());
    const auto mac = signed_mac(csrf_subkey, buf, binding);
    buf.insert(buf.end(), mac.begin(), mac.end());
    return crypto::base64url_encode(buf);
}

Result<void, CsrfError> verify_signed(std::span<const crypto::SecretBytes> csrf_subkeys,
                                      std::string_view untrusted_token, std::string_view binding,
                                      std::chrono::seconds max_age,
                                      std::chrono::system_clock::time_point now) {
    if (untrusted_token.empty()) return CsrfError::missing;
    if (untrusted_token.size() > kMaxTokenLength) return CsrfError::malformed;
    const auto raw = crypto::base64url_decode(untrusted_token);
    if (!raw || raw->size() != kSignedBytes || (*raw)[0] != kSignedVersion) return CsrfError::malformed;
    const crypto::ByteView all{*raw};
    const auto header = all.first(kSignedHeader);
    const auto mac = all.subspan(kSignedHeader);
    bool good = false;
    for (const auto& key : csrf_subkeys) {
        if (key.empty()) continue;
        const auto expected = signed_mac(key, header, binding);
        good = crypto::equal(expected, mac) || good;
    }
    if (!good) return CsrfError::mismatch;
    // The timestamp is read only after the MAC proves we wrote it.
    std::uint64_t issued = 0;
    for (std::size_t i = 1; i <= 8; ++i) issued = (issued << 8) | (*raw)[i];
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (issued > static_cast<std::uint64_t>(INT64_MAX)) return CsrfError::expired;
    const auto age = now_s - static_cast<std::int64_t>(issued);
    if (age > max_age.count() || age < -kFutureLeeway.count()) return CsrfError::expired;
    return {};
}

std::string signed_token(const crypto::KeyRing& ring, std::string_view binding,
                         std::chrono::system_clock::time_point now) {
    return signed_token(ring.subkey(crypto::Purpose::csrf), binding, now);
}

Result<void, CsrfError> verify_signed(const crypto::KeyRing& ring, std::string_view untrusted_token,
                                      std::string_view binding, std::chrono::seconds max_age,
                                      std::chrono::system_clock::time_point now) {
    const auto keys = ring.subkeys(crypto::Purpose::csrf);
    return verify_signed(std::span<const crypto::SecretBytes>(keys), untrusted_token, binding, max_age, now);
}

std::string new_double_submit_token() { return crypto::random_token(32); }

Result<void, CsrfError> verify_double_submit(std::string_view untrusted_cookie,
                                             std::string_view untrusted_header) {
    if (untrusted_cookie.empty() || untrusted_header.empty()) return CsrfError::missing;
    if (untrusted_cookie.size() < kMinDoubleSubmit || untrusted_cookie.size() > kMaxTokenLength ||
        untrusted_header.size() > kMaxTokenLength)
        return CsrfError::malformed;
    if (!crypto::equal(untrusted_cookie, untrusted_header)) return CsrfError::mismatch;
    return {};
}

}  // namespace bulwark::csrf
