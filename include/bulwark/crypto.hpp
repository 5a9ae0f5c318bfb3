// bulwark/crypto.hpp: randomness, encodings, hashes, MACs, constant-time comparison,
// the key ring, and signed timestamped values.
//
// Security model: every random value comes from libsodium's CSPRNG; every secret
// comparison is constant-time (`equal`); key material lives in `SecretBytes`, which is
// wiped when it goes and cannot be printed. One key is never used for two jobs: the
// KeyRing derives a subkey per `Purpose` (HMAC-SHA256 key derivation, RFC 5869 style).
//
//     auto token = bulwark::crypto::random_token();          // 256 bits, base64url
//     auto mac = bulwark::crypto::hmac_sha256(key, message);
//     if (bulwark::crypto::equal(mac, expected)) { ... }
#pragma once

#include <bulwark/result.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// as_bytes views the characters of a string as bytes.
inline ByteView as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// SecretBytes holds key material. It is wiped (sodium_memzero) on destruction and on
// move-from; it has no stream operator and no conversion to string, so it cannot be
// logged by accident. Compare with `equal`, never with ==.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(ByteView bytes);
    explicit SecretBytes(std::string_view bytes) : SecretBytes(as_bytes(bytes)) {}
    SecretBytes(const SecretBytes& other);
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(const SecretBytes& other);
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    // reveal gives the bytes to a primitive that needs them; the name makes every use greppable.
    ByteView reveal() const noexcept { return {data_.data(), data_.size()}; }
    std::size_t size() const noexcept { return data_.size(); }
    bool empty() const noexcept { return data_.empty(); }

    bool operator==(const SecretBytes&) const = delete;

private:
    void wipe() noexcept;
    Bytes data_;
};

// random_bytes fills n bytes from the CSPRNG (libsodium randombytes_buf).
Bytes random_bytes(std::size_t n);
// random_token returns `bytes` random bytes as unpadded base64url (default 32 bytes = 256 bits).
std::string random_token(std::size_t bytes = 32);
// public_random_id returns 16 random bytes as 22 base64url characters, for values that are public
// as soon as they are used (request ids, CSP nonces) and made on every request: they come from a
// per-thread batch refilled every 64 ids (one getrandom instead of 64), never shared across a
// fork, each id's bytes wiped once handed out. Secrets (session ids, tokens): random_token.
std::string public_random_id();
// random_uniform returns a uniform integer in [0, upper_bound) without modulo bias.
std::uint32_t random_uniform(std::uint32_t upper_bound);

// base64url without padding (RFC 4648 §5). Decoding is strict: padding, whitespace,
// characters outside the alphabet and non-canonical trailing bits are refused.
std::string base64url_encode(ByteView data);
std::optional<Bytes> base64url_decode(std::string_view text);
// Base64Error: why base64url_decode_into refused.
enum class Base64Error {
    malformed,  // text that base64url_decode refuses (same rules, same verdict)
    no_room,    // well-formed or not, its decoded size would not fit `out`
};
// base64url_decode_into decodes text as base64url_decode does, into the caller's buffer
// (a stack array on a per-request path): the decoded size, written to out's front. It
// allocates nothing; after an error out's contents are unspecified.
[[nodiscard]] Result<std::size_t, Base64Error> base64url_decode_into(
    std::string_view text, std::span<std::uint8_t> out) noexcept;
// Standard base64 with padding (RFC 4648 §4), strict likewise.
std::string base64_encode(ByteView data);
std::optional<Bytes> base64_decode(std::string_view text);
// Lower-case hex; decoding accepts either case and refuses odd lengths and non-hex.
std::string hex_encode(ByteView data);
std::optional<Bytes> hex_decode(std::string_view text);

std::array<std::uint8_t, 32> sha256(ByteView data);
std::array<std::uint8_t, 32> hmac_sha256(ByteView key, ByteView data);
std::array<std::uint8_t, 64> hmac_sha512(ByteView key, ByteView data);

// equal compares in time that depends only on the lengths, never on the contents.
bool equal(ByteView a, ByteView b) noexcept;
inline bool equal(std::string_view a, std::string_view b) noexcept {
    return equal(as_bytes(a), as_bytes(b));
}

// wipe zeroes memory in a way the compiler cannot remove.
void wipe(void* data, std::size_t size) noexcept;

// Purpose names the job a derived key does; no key serves two purposes.
enum class Purpose {
    session,
    csrf,
    jwt,
    remember_me,
    api_key,
    signed_value,
    account_token,
    webhook,
};
std::string_view purpose_name(Purpose p) noexcept;

// KeyRing holds SECRET_KEY and the older keys of SECRET_KEY_FALLBACKS. New signatures
// use the current key; verification tries every key, so a key rotates without logging
// everyone out. Thread-safe after construction (immutable).
class KeyRing {
public:
    // current: the active secret; fallbacks: older secrets still accepted for verification.
    explicit KeyRing(SecretBytes current, std::vector<SecretBytes> fallbacks = {});

    // subkey derives the current key for a purpose (HMAC-SHA256(key, "bulwark/" + purpose)).
    SecretBytes subkey(Purpose purpose) const;
    // subkeys derives the key for a purpose from every key in the ring, current first.
    std::vector<SecretBytes> subkeys(Purpose purpose) const;

private:
    SecretBytes current_;
    std::vector<SecretBytes> fallbacks_;
};

// UnsignError: why a signed value was refused.
enum class UnsignError {
    malformed,      // not of the form this signer makes
    bad_signature,  // no key in the ring made this signature
    wrong_purpose,  // signed correctly, but for another purpose
    expired,        // older than max_age (or dated in the future beyond the leeway)
};
std::string_view unsign_error_name(UnsignError e) noexcept;

// Signer makes signed, timestamped values (the itsdangerous idea):
// `b64(value).b64(timestamp).b64(mac)`, each part unpadded base64url (so the result is safe in
// a URL or cookie), timestamp = Unix seconds as minimal big-endian bytes, and
// mac = HMAC-SHA256(subkey(purpose), "bulwark.signed.v1\0" purpose "\0" SHA-256(first two parts)).
// unsign tries the subkeys of every key in the ring, then those of every other purpose, so a
// value signed for another job is reported as `wrong_purpose` (an authenticated fact), never
// accepted. Checks run in the order malformed -> signature/purpose -> age.
// Values whose signed form would exceed kMaxSignedValue (about 12 KiB of input) are refused
// by unsign, so keep signed values small. Thread-safe after construction (immutable).
class Signer {
public:
    explicit Signer(KeyRing ring);

    // sign returns a URL-safe string carrying `value`, readable by anyone but unforgeable.
    std::string sign(std::string_view value, Purpose purpose) const;
    std::string sign_at(std::string_view value, Purpose purpose,
                        std::chrono::system_clock::time_point now) const;
    // unsign checks the signature and the age and returns the value. An age above max_age
    // (or a negative max_age) is `expired`. Never throws on any input.
    Result<std::string, UnsignError> unsign(std::string_view signed_value, Purpose purpose,
                                            std::chrono::seconds max_age) const;
    Result<std::string, UnsignError> unsign_at(std::string_view signed_value, Purpose purpose,
                                               std::chrono::seconds max_age,
                                               std::chrono::system_clock::time_point now) const;

    // kMaxSignedValue bounds what unsign will parse (bytes).
    static constexpr std::size_t kMaxSignedValue = 16 * 1024;
    // kFutureLeeway: a timestamp this far ahead of our clock is still accepted (clock skew).
    static constexpr std::chrono::seconds kFutureLeeway{60};

private:
    KeyRing ring_;
    std::vector<std::vector<SecretBytes>> keys_;  // [purpose][key generation], current first
};

}  // namespace bulwark::crypto
