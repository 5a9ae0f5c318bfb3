// bulwark/account.hpp: purpose-bound, single-use account tokens, for the links an app mails to
// its users (verify an address, reset a forgotten password, confirm a new address).
//
// Security model: a token is 256 bits from the CSPRNG, handed out once as 43 characters of
// base64url and stored only as HMAC-SHA256(KeyRing subkey for crypto::Purpose::account_token,
// purpose || token), so a copy of the database gives nobody a working link, and a token made for
// one purpose is not even found under another. Each row carries its purpose, user, expiry and an
// optional payload (the new address of an email change). Redeeming is one atomic
// `DELETE ... RETURNING` (SQLite and PostgreSQL): two requests, on two instances, racing with one
// token cannot both win. A reset token also carries a fingerprint of the user's password hash
// when it was issued and is refused once the stored hash differs, so ANY password change (the
// reset itself, a change form, the CLI, a rehash at login) voids every outstanding reset link
// without anyone having to remember to delete them. Token text is checked for shape and size
// before any lookup; a token never appears in an error or a log line.
// See docs/account.md and the OWASP Forgot Password Cheat Sheet.
//
//     account::Tokens tokens{db, ring.subkeys(crypto::Purpose::account_token),
//                            {.password_hash_of = lookup_hash}};
//     auto issued = tokens.issue(account::Purpose::reset_password, user_id);
//     mail("https://example.com/reset-password/" + issued->token);
//     ...
//     auto tx = db.transaction();                 // consume and the new password commit together
//     auto who = tokens.consume(untrusted_token, account::Purpose::reset_password);
//     if (!who) return bad_request();             // unknown, used, expired or stale: one answer
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/db.hpp>
#include <bulwark/result.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::account {

using TimePoint = std::chrono::system_clock::time_point;

// Purpose: the one job a token does. A token of one purpose is never accepted for another.
enum class Purpose { verify_email, reset_password, change_email };
std::string_view purpose_name(Purpose p) noexcept;  // "verify_email", the column value

// TokenError: why a token was refused or could not be made. Answer every redeem failure the
// same way (400, "this link is invalid or has expired"); the codes are for the security log.
enum class TokenError {
    malformed,          // not 43 base64url characters decoding to 32 bytes (no lookup was made)
    invalid,            // unknown, already used, revoked, another purpose or another user's
    expired,            // past its expiry (the row is gone now)
    password_changed,   // reset token issued before the password last changed (row gone now)
    no_such_user,       // issue(reset_password): password_hash_of found no user
    payload_too_large,  // issue(): payload over Options::max_payload_bytes
    database,           // the database failed (diagnostic to Options::error_log)
};
std::string_view token_error_name(TokenError e) noexcept;

inline constexpr std::size_t kTokenBytes = 32;
inline constexpr std::size_t kTokenChars = 43;  // unpadded base64url of 32 bytes
using TokenBytes = std::array<std::uint8_t, kTokenBytes>;

// parse_token checks untrusted token text: exactly kTokenChars characters of the base64url
// alphabet, decoding canonically. Longer input is refused before it is read. Errors: malformed.
Result<TokenBytes, TokenError> parse_token(std::string_view untrusted);

// PasswordHashOf returns the user's stored password hash, nullopt when there is no such user.
using PasswordHashOf =
    std::function<Result<std::optional<std::string>, db::DbError>(std::string_view user_id)>;

// Options: the defaults are the OWASP recommendations; only password_hash_of must be given
// (without it, issuing a reset token is a configuration error).
struct Options {
    std::chrono::seconds verify_email_ttl{24 * 60 * 60};
    std::chrono::seconds reset_password_ttl{60 * 60};
    std::chrono::seconds change_email_ttl{24 * 60 * 60};
    std::size_t max_live_per_user = 5;      // per purpose; issuing one more drops the oldest
    std::size_t max_payload_bytes = 1024;
    PasswordHashOf password_hash_of;        // the current hash, read inside the redeeming query's transaction
    std::function<void(std::string_view diagnostic)> error_log;  // database diagnostics only
    std::function<TimePoint()> now;         // tests move the clock; default system_clock::now
};

// Issued: the token text (give it to the user once; it is not stored) and its expiry.
struct Issued {
    std::string token;
    TimePoint expires_at;
};

// Redeemed: whose token it was and what it carried.
struct Redeemed {
    std::string user_id;
    std::string payload;
    TimePoint issued_at;
};

// Tokens: the token table `account_tokens` (see schema()) in a Database. Thread-safe; copies
// share the database pool. `keys` are the ring's subkeys for crypto::Purpose::account_token,
// current first: new tokens use the first, redeeming tries each, so a key rotates without
// voiding the links already mailed. Throws std::invalid_argument when keys is empty.
class Tokens {
public:
    Tokens(db::Database db, std::vector<crypto::SecretBytes> keys, Options options = {});

    // issue makes a token for the user. Errors: payload_too_large, no_such_user (reset only),
    // database. Expired tokens of the user are removed, and beyond max_live_per_user live
    // ones of this purpose the oldest go.
    Result<Issued, TokenError> issue(Purpose purpose, std::string_view user_id, std::string_view payload = {});

    // consume redeems a token once: it is deleted in the same statement that reads it. With
    // expected_user set, another user's token is `invalid` and stays usable by its owner.
    // Inside a Transaction of the same Database (same thread) the deletion commits with the
    // caller's own writes, so a failure after it leaves the token usable.
    Result<Redeemed, TokenError> consume(std::string_view untrusted_token, Purpose purpose,
                                         std::string_view expected_user = {});

    // peek checks a token without using it (to show the form behind a link). Same errors.
    Result<Redeemed, TokenError> peek(std::string_view untrusted_token, Purpose purpose,
                                      std::string_view expected_user = {}) const;

    // revoke_all deletes the user's tokens of one purpose; returns how many.
    Result<std::int64_t, TokenError> revoke_all(std::string_view user_id, Purpose purpose);

    // purge_expired deletes every expired token (a periodic job; redeeming never needs it).
    Result<std::int64_t, TokenError> purge_expired();

    std::chrono::seconds ttl(Purpose purpose) const noexcept;

private:
    Result<Redeemed, TokenError> redeem(std::string_view untrusted_token, Purpose purpose,
                                        std::string_view expected_user, bool remove) const;
    std::array<std::uint8_t, 32> token_hash(std::size_t key, Purpose purpose, const TokenBytes& token) const;
    Result<std::string, TokenError> binding(std::size_t key, Purpose purpose, std::string_view user_id) const;
    TokenError database_failed(const db::DbError& e) const;
    TimePoint now() const;

    mutable db::Database db_;
    std::vector<crypto::SecretBytes> keys_;
    Options options_;
};

// schema is the CREATE TABLE for account_tokens on a backend; put it in a migration of the app
// (a migration file is trusted code; the library never changes a schema on its own).
std::string_view schema(db::Backend backend) noexcept;

}  // namespace bulwark::account
