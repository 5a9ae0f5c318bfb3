// TOTP (RFC 6238) over HOTP (RFC 4226), the enrolment URI, and replay refusal.
#include <bulwark/auth.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

namespace bulwark::auth {

namespace {
constexpr std::uint32_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

bool params_ok(const TotpParams& p) {
    return p.digits >= 6 && p.digits <= 8 && p.period >= std::chrono::seconds{1} &&
           p.period <= std::chrono::seconds{300} && p.drift_steps >= 0 && p.drift_steps <= 10;
}

std::string hotp(crypto::ByteView secret, std::int64_t counter, const TotpParams& p) {
    std::uint8_t message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<std::uint8_t>(counter & 0xFF);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const EVP_MD* md = p.algorithm == TotpAlgorithm::sha1 ? EVP_sha1() : EVP_sha256();
    static const std::uint8_t kEmpty = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
    if (!HMAC(md, key, static_cast<int>(secret.size()), message, sizeof message, mac, &mac_len) || mac_len < 20)
        return {};
    const unsigned offset = mac[mac_len - 1] & 0x0F;  // dynamic truncation, RFC 4226 §5.3
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::string code = std::to_string(binary % kPow10[p.digits]);
    code.insert(0, static_cast<std::size_t>(p.digits) - code.size(), '0');
    crypto::wipe(mac, sizeof mac);
    return code;
}

std::int64_t step_of(TimePoint t, const TotpParams& p) {
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    return secs < 0 ? -1 : secs / p.period.count();
}

std::string uri_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}
}  // namespace

std::string totp_code(crypto::ByteView secret, TotpParams params, TimePoint when) {
    if (!params_ok(params)) return {};
    const std::int64_t step = step_of(when, params);
    if (step < 0) return {};
    return hotp(secret, step, params);
}

std::optional<std::int64_t> totp_match(crypto::ByteView secret, std::string_view code, TotpParams params,
                                       TimePoint now) {
    if (!params_ok(params) || code.size() != static_cast<std::size_t>(params.digits)) return std::nullopt;
    for (char c : code)
        if (c < '0' || c > '9') return std::nullopt;
    const std::int64_t current = step_of(now, params);
    std::optional<std::int64_t> matched;
    // Every step in the window is computed and compared, so the time taken does not say
    // which one matched.
    for (std::int64_t k = -params.drift_steps; k <= params.drift_steps; ++k) {
        const std::int64_t step = current + k;
        if (step < 0) continue;
        const std::string expected = hotp(secret, step, params);
        if (!expected.empty() && crypto::equal(expected, code) && !matched) matched = step;
    }
    return matched;
}

crypto::Bytes new_totp_secret(TotpAlgorithm algorithm) {
    return crypto::random_bytes(algorithm == TotpAlgorithm::sha1 ? 20 : 32);
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, crypto::ByteView secret,
                        TotpParams params) {
    std::string uri = "otpauth://totp/" + uri_encode(issuer) + ":" + uri_encode(account);
    uri += "?secret=" + base32_encode(secret);
    uri += "&issuer=" + uri_encode(issuer);
    uri += params.algorithm == TotpAlgorithm::sha1 ? "&algorithm=SHA1" : "&algorithm=SHA256";
    uri += "&digits=" + std::to_string(params.digits);
    uri += "&period=" + std::to_string(params.period.count());
    return uri;
}

TotpVerifier::TotpVerifier(std::shared_ptr<store::Store> store, std::string key_prefix)
    : store_(std::move(store)), prefix_(std::move(key_prefix)) {
    if (!store_) throw std::invalid_argument("auth::TotpVerifier: no store");
}

TotpResult TotpVerifier::verify(std::string_view user_id, crypto::ByteView secret, std::string_view untrusted_code,
                                TotpParams params, TimePoint now) const {
    const auto step = totp_match(secret, untrusted_code, params, now);
    if (!step) return TotpResult::wrong;
    const auto digest = crypto::sha256(crypto::as_bytes(user_id));
    const std::string user = crypto::hex_encode(crypto::ByteView(digest.data(), 16));
    const store::Ttl keep = std::chrono::duration_cast<store::Ttl>(params.period * (2 * params.drift_steps + 2));
    const std::string last_key = prefix_ + "last|" + user;
    auto last = store_->get(last_key);
    if (!last) return TotpResult::store_unavailable;
    if (*last) {
        std::int64_t previous = 0;
        const std::string& text = **last;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), previous);
        // A code from a step at or before the last one accepted is a replay (RFC 6238 §5.2).
        if (ec == std::errc{} && end == text.data() + text.size() && *step <= previous) return TotpResult::replayed;
    }
    // The claim is atomic: two requests with one code cannot both pass.
    auto claimed = store_->set_if_absent(prefix_ + "used|" + user + "|" + std::to_string(*step), "1", keep);
    if (!claimed) return TotpResult::store_unavailable;
    if (!*claimed) return TotpResult::replayed;
    if (!store_->set(last_key, std::to_string(*step), keep)) return TotpResult::store_unavailable;
    return TotpResult::ok;
}

}  // namespace bulwark::auth
