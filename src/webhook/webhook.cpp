// Webhook signatures: both header forms, their strict parsers and the replay cache.
#include <bulwark/webhook.hpp>

#include <charconv>
#include <stdexcept>

namespace bulwark::webhook {
namespace {

constexpr std::size_t kMaxEntries = 16;
constexpr std::size_t kMaxV1 = 8;

std::optional<std::array<std::uint8_t, 32>> hex32(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    auto bytes = crypto::hex_decode(hex);
    if (!bytes || bytes->size() != 32) return std::nullopt;
    std::array<std::uint8_t, 32> out{};
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return out;
}

std::array<std::uint8_t, 32> timestamped_mac(crypto::ByteView secret, std::int64_t t,
                                             crypto::ByteView body) {
    std::string message = std::to_string(t);
    message += '.';
    message.append(reinterpret_cast<const char*>(body.data()), body.size());
    return crypto::hmac_sha256(secret, crypto::as_bytes(message));
}

bool is_scheme(std::string_view s) {
    if (s.empty() || s.size() > 8) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

}  // namespace

std::string_view error_name(WebhookError e) noexcept {
    switch (e) {
        case WebhookError::missing_signature: return "missing_signature";
        case WebhookError::malformed_signature: return "malformed_signature";
        case WebhookError::bad_signature: return "bad_signature";
        case WebhookError::stale_timestamp: return "stale_timestamp";
        case WebhookError::replayed: return "replayed";
        case WebhookError::store_unavailable: return "store_unavailable";
    }
    return "unknown";
}

std::string_view error_message(WebhookError e) noexcept {
    switch (e) {
        case WebhookError::missing_signature: return "Missing signature";
        case WebhookError::malformed_signature: return "Malformed signature";
        case WebhookError::bad_signature: return "Invalid signature";
        case WebhookError::stale_timestamp: return "Signature timestamp outside the tolerance";
        case WebhookError::replayed: return "Signature already used";
        case WebhookError::store_unavailable: return "Signature could not be checked";
    }
    return "Invalid signature";
}

std::string sign_sha256_header(crypto::ByteView secret, crypto::ByteView body) {
    return "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

Result<void, WebhookError> verify_sha256_header(crypto::ByteView secret, crypto::ByteView body,
                                                std::string_view header) {
    if (header.empty()) return WebhookError::missing_signature;
    constexpr std::string_view kPrefix = "sha256=";
    if (header.size() > kMaxHeader || header.substr(0, kPrefix.size()) != kPrefix)
        return WebhookError::malformed_signature;
    auto given = hex32(header.substr(kPrefix.size()));
    if (!given) return WebhookError::malformed_signature;
    auto mac = crypto::hmac_sha256(secret, body);
    if (!crypto::equal(mac, *given)) return WebhookError::bad_signature;
    return {};
}

Result<TimestampedSignature, WebhookError> parse_timestamped_header(std::string_view header) {
    if (header.empty()) return WebhookError::missing_signature;
    if (header.size() > kMaxHeader) return WebhookError::malformed_signature;
    TimestampedSignature out;
    bool have_t = false;
    std::size_t entries = 0;
    while (!header.empty()) {
        if (++entries > kMaxEntries) return WebhookError::malformed_signature;
        std::size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        if (comma != std::string_view::npos && header.empty()) return WebhookError::malformed_signature;
        std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) return WebhookError::malformed_signature;
        std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
        if (key == "t") {
            if (have_t || value.empty() || value.size() > 12) return WebhookError::malformed_signature;
            for (char c : value)
                if (c < '0' || c > '9') return WebhookError::malformed_signature;
            std::from_chars(value.data(), value.data() + value.size(), out.timestamp);
            have_t = true;
        } else if (key == "v1") {
            auto mac = hex32(value);
            if (!mac || out.v1.size() >= kMaxV1) return WebhookError::malformed_signature;
            out.v1.push_back(*mac);
        } else if (!is_scheme(key) || value.size() > 128) {
            return WebhookError::malformed_signature;
        }
    }
    if (!have_t || out.v1.empty()) return WebhookError::malformed_signature;
    return out;
}

std::string sign_timestamped(crypto::ByteView secret, crypto::ByteView body, std::int64_t now) {
    return "t=" + std::to_string(now) + ",v1=" + crypto::hex_encode(timestamped_mac(secret, now, body));
}

TimestampedVerifier::TimestampedVerifier(std::vector<crypto::SecretBytes> secrets,
                                         std::shared_ptr<store::Store> store, Config config)
    : secrets_(std::move(secrets)), store_(std::move(store)), config_(std::move(config)) {
    if (secrets_.empty()) throw std::invalid_argument("webhook: at least one secret is needed");
    for (const auto& s : secrets_)
        if (s.empty()) throw std::invalid_argument("webhook: empty secret");
    if (!store_) throw std::invalid_argument("webhook: a store is needed for replay protection");
    if (config_.tolerance <= std::chrono::seconds(0)) throw std::invalid_argument("webhook: tolerance must be positive");
}

Result<void, WebhookError> TimestampedVerifier::verify(crypto::ByteView body, std::string_view header,
                                                       std::int64_t now) const {
    auto parsed = parse_timestamped_header(header);
    if (!parsed) return parsed.error();
    const std::int64_t tolerance = config_.tolerance.count();
    if (parsed->timestamp < now - tolerance || parsed->timestamp > now + tolerance)
        return WebhookError::stale_timestamp;
    const std::array<std::uint8_t, 32>* matched = nullptr;
    for (const auto& secret : secrets_) {
        auto mac = timestamped_mac(secret.reveal(), parsed->timestamp, body);
        for (const auto& given : parsed->v1)
            if (crypto::equal(mac, given) && !matched) matched = &given;
    }
    if (!matched) return WebhookError::bad_signature;
    // Keep the signature until it would fail the tolerance check anyway.
    std::int64_t keep = parsed->timestamp + tolerance - now + 1;
    auto first = store_->set_if_absent(config_.store_prefix + crypto::hex_encode(*matched), "1",
                                       std::chrono::seconds(std::max<std::int64_t>(keep, 1)));
    if (!first) return WebhookError::store_unavailable;
    if (!*first) return WebhookError::replayed;
    return {};
}

}  // namespace bulwark::webhook
