// Hasher: input checks, dispatch on the stored hash's shape, rehash decisions, dummy hash.
#include "schemes.hpp"

#include <bulwark/crypto.hpp>

#include <stdexcept>

namespace bulwark::password {
namespace {

// check_input runs before any hashing: a long password costs nothing, and every scheme sees
// the same bytes (valid UTF-8 without NUL, so a C-string API cannot truncate it).
std::optional<Error> check_input(std::string_view password) {
    if (password.size() > kMaxPasswordBytes) return Error::password_too_long;
    if (password.find('\0') != std::string_view::npos || !valid_utf8(password))
        return Error::invalid_password;
    return std::nullopt;
}

std::optional<Scheme> scheme_of(std::string_view stored) {
    if (stored.starts_with("$argon2id$")) return Scheme::argon2id;
    if (stored.starts_with("$argon2i$")) return Scheme::argon2i;
    if (stored.starts_with("$2")) return Scheme::bcrypt;
    if (stored.starts_with("pbkdf2:")) return Scheme::pbkdf2;
    if (stored.starts_with("scrypt:")) return Scheme::scrypt;
    return std::nullopt;
}

}  // namespace

std::string_view error_name(Error e) noexcept {
    switch (e) {
        case Error::mismatch: return "mismatch";
        case Error::malformed_hash: return "malformed_hash";
        case Error::unsupported_scheme: return "unsupported_scheme";
        case Error::cost_too_high: return "cost_too_high";
        case Error::password_too_long: return "password_too_long";
        case Error::invalid_password: return "invalid_password";
        case Error::bcrypt_password_too_long: return "bcrypt_password_too_long";
        case Error::busy: return "busy";
        case Error::internal: return "internal";
    }
    return "unknown";
}

std::string_view scheme_name(Scheme s) noexcept {
    switch (s) {
        case Scheme::argon2id: return "argon2id";
        case Scheme::argon2i: return "argon2i";
        case Scheme::pbkdf2: return "pbkdf2";
        case Scheme::scrypt: return "scrypt";
        case Scheme::bcrypt: return "bcrypt";
    }
    return "unknown";
}

Hasher::Hasher(Params params, Limits limits) : params_(params), limits_(limits) {
    // OWASP's argon2id table trades memory for passes down to 7 MiB with t = 5; anything
    // cheaper than m * t = 19 MiB * 2 is below every row of it.
    const std::uint64_t work = static_cast<std::uint64_t>(params_.memory_kib) * params_.iterations;
    if (params_.memory_kib < 7 * 1024 || params_.iterations == 0 || work < 19ull * 1024 * 2)
        throw std::invalid_argument("password::Params are weaker than OWASP's argon2id minimum");
    if (params_.memory_kib > limits_.argon2_max_memory_kib ||
        params_.iterations > limits_.argon2_max_iterations || work > limits_.argon2_max_work_kib)
        throw std::invalid_argument("password::Params exceed password::Limits");
    // The dummy is a real hash of a random password, so verifying against it runs the same
    // code with the same costs as a real wrong-password check.
    auto dummy = detail::hash_argon2id(crypto::random_token(), params_);
    if (!dummy) throw std::runtime_error("password::Hasher could not make its dummy hash");
    dummy_ = std::move(*dummy);
}

Result<std::string, Error> Hasher::hash(std::string_view password) const {
    if (auto bad = check_input(password)) return *bad;
    return detail::hash_argon2id(password, params_);
}

Result<Verified, Error> Hasher::verify(std::string_view password, std::string_view stored) const {
    if (auto bad = check_input(password)) return *bad;
    if (stored.size() > kMaxStoredHash) return Error::malformed_hash;
    const auto scheme = scheme_of(stored);
    Result<void, Error> r = Error::malformed_hash;
    if (!scheme) {
        // Other crypt(3) schemes ($1$, $5$, $6$, $y$...) and Werkzeug's legacy methods.
        if (stored.starts_with("$")) return Error::unsupported_scheme;
        r = detail::verify_werkzeug(password, stored, limits_);
    } else if (*scheme == Scheme::argon2id || *scheme == Scheme::argon2i) {
        r = detail::verify_argon2(password, stored, limits_);
    } else if (*scheme == Scheme::bcrypt) {
        r = detail::verify_bcrypt(password, stored, limits_);
    } else {
        r = detail::verify_werkzeug(password, stored, limits_);
    }
    if (!r) return r.error();
    return Verified{*scheme, needs_rehash(stored)};
}

Result<Rehashed, Error> Hasher::verify_and_rehash(std::string_view password,
                                                  std::string_view stored) const {
    auto v = verify(password, stored);
    if (!v) return v.error();
    Rehashed out{v->scheme, std::nullopt};
    if (v->needs_rehash) {
        auto fresh = hash(password);
        if (!fresh) return fresh.error();
        out.new_hash = std::move(*fresh);
    }
    return out;
}

bool Hasher::needs_rehash(std::string_view stored) const {
    if (stored.size() > kMaxStoredHash) return true;
    auto parsed = detail::parse_argon2(stored);
    return !parsed || parsed->scheme != Scheme::argon2id ||
           parsed->memory_kib != params_.memory_kib || parsed->iterations != params_.iterations ||
           parsed->parallelism != 1;
}

void Hasher::verify_dummy(std::string_view password) const {
    (void)verify(password, dummy_);
}

namespace {
const Hasher& default_hasher() {
    static const Hasher hasher;
    return hasher;
}
}  // namespace

Result<std::string, Error> hash(std::string_view password) { return default_hasher().hash(password); }
Result<Verified, Error> verify(std::string_view password, std::string_view stored) {
    return default_hasher().verify(password, stored);
}
Result<Rehashed, Error> verify_and_rehash(std::string_view password, std::string_view stored) {
    return default_hasher().verify_and_rehash(password, stored);
}
bool needs_rehash(std::string_view stored) { return default_hasher().needs_rehash(stored); }
void verify_dummy(std::string_view password) { default_hasher().verify_dummy(password); }

}  // namespace bulwark::password
