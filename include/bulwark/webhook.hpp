// bulwark/webhook.hpp: signing and verifying webhook payloads with HMAC-SHA256.
//
// Two header forms, the two the industry uses:
//   X-Signature-256: sha256=<hex>        HMAC-SHA256(secret, raw body), as GitHub sends
//   X-Signature:     t=<unix>,v1=<hex>   HMAC-SHA256(secret, "<t>.<raw body>"), as Stripe sends
// Security model: the MAC covers the raw body bytes exactly as received (never a re-serialized
// JSON). Comparison is constant-time. The plain form cannot expire, so anyone who once saw a
// delivery can replay it; the timestamped form bounds that with a tolerance (default 300 s) and
// remembers every signature it accepted in the Store until it would expire anyway, so each
// delivery is accepted once (store::set_if_absent). Header parsing is bounded (1 KiB) and strict.
//
//     auto ok = webhook::verify_sha256_header(secret, body, req.header("X-Signature-256"));
//     if (!ok) return reply(401, {{"error", webhook::error_message(ok.error())}});
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/result.hpp>
#include <bulwark/store.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::webhook {

// WebhookError: why a delivery was refused.
enum class WebhookError {
    missing_signature,    // no header, or an empty one
    malformed_signature,  // not the documented form (or over kMaxHeader)
    bad_signature,        // well-formed, but no MAC matches
    stale_timestamp,      // t is further than the tolerance from now
    replayed,             // this exact signature was accepted before
    store_unavailable,    // the replay cache could not be reached; refused (fails closed)
};
std::string_view error_name(WebhookError e) noexcept;
std::string_view error_message(WebhookError e) noexcept;

inline constexpr std::size_t kMaxHeader = 1024;
inline constexpr std::string_view kSha256Header = "X-Signature-256";
inline constexpr std::string_view kTimestampedHeader = "X-Signature";

// sign_sha256_header returns "sha256=<64 lower-case hex>" for the body.
std::string sign_sha256_header(crypto::ByteView secret, crypto::ByteView body);
// verify_sha256_header checks a "sha256=<hex>" value (hex in either case) in constant time.
Result<void, WebhookError> verify_sha256_header(crypto::ByteView secret, crypto::ByteView body,
                                                std::string_view untrusted_header);

// TimestampedSignature: a parsed "t=...,v1=...[,v1=...]" header. Several v1 entries allow
// the sender to sign with an old and a new secret during rotation; unknown schemes such as
// v0 are skipped.
struct TimestampedSignature {
    std::int64_t timestamp = 0;
    std::vector<std::array<std::uint8_t, 32>> v1;
};
Result<TimestampedSignature, WebhookError> parse_timestamped_header(std::string_view untrusted_header);

// sign_timestamped returns "t=<now>,v1=<hex>" for the body.
std::string sign_timestamped(crypto::ByteView secret, crypto::ByteView body, std::int64_t now_unix);

struct Config {
    std::chrono::seconds tolerance{300};
    std::string store_prefix = "webhook:seen:";
};

// TimestampedVerifier: verifies the t=,v1= form with tolerance and replay protection.
// secrets: the current secret first, then older ones still accepted. Thread-safe.
class TimestampedVerifier {
public:
    // Throws std::invalid_argument for no secrets, an empty secret, a null store or a
    // non-positive tolerance.
    TimestampedVerifier(std::vector<crypto::SecretBytes> secrets, std::shared_ptr<store::Store> store,
                        Config config = {});
    Result<void, WebhookError> verify(crypto::ByteView body, std::string_view untrusted_header,
                                      std::int64_t now_unix) const;

private:
    std::vector<crypto::SecretBytes> secrets_;
    std::shared_ptr<store::Store> store_;
    Config config_;
};

}  // namespace bulwark::webhook
