// argon2id and argon2i PHC strings through libsodium. The string is parsed here first so that
// its cost is checked against Limits before libsodium allocates a byte.
#include "schemes.hpp"

#include <bulwark/crypto.hpp>

#include <sodium.h>

#include <string>

namespace bulwark::password::detail {
namespace {

constexpr std::size_t kMinSalt = 8, kMaxSalt = 64, kMinHash = 16, kMaxHash = 64;

// PHC strings use standard base64 without padding; the crypto decoder is strict and wants
// padding, so it is added back here (and a string that already had padding is refused).
std::optional<std::size_t> unpadded_base64_length(std::string_view text) {
    if (text.empty() || text.find('=') != std::string_view::npos) return std::nullopt;
    std::string padded(text);
    while (padded.size() % 4 != 0) padded += '=';
    auto raw = crypto::base64_decode(padded);
    if (!raw) return std::nullopt;
    return raw->size();
}

bool consume(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

// take_field returns the text up to the next '$' (or the end) and moves past it.
std::string_view take_field(std::string_view& text) {
    const auto end = text.find('$');
    std::string_view field = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return field;
}

}  // namespace

std::optional<std::uint32_t> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > 0xffffffffu) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

Result<Argon2Hash, Error> parse_argon2(std::string_view stored) {
    std::string_view rest = stored;
    Argon2Hash h{};
    if (consume(rest, "$argon2id$")) {
        h.scheme = Scheme::argon2id;
    } else if (consume(rest, "$argon2i$")) {
        h.scheme = Scheme::argon2i;
    } else if (rest.starts_with("$argon2d$")) {
        return Error::unsupported_scheme;  // data-dependent: side-channel prone for passwords
    } else {
        return Error::malformed_hash;
    }
    const std::string_view version = take_field(rest);
    if (!version.starts_with("v=")) return Error::unsupported_scheme;  // argon2 1.0 had no v=
    const auto v = parse_decimal(version.substr(2));
    if (!v) return Error::malformed_hash;
    if (*v != 19) return Error::unsupported_scheme;

    std::string_view costs = take_field(rest);
    if (!consume(costs, "m=")) return Error::malformed_hash;
    const auto comma1 = costs.find(',');
    const auto m = parse_decimal(costs.substr(0, comma1));
    if (!m || comma1 == std::string_view::npos) return Error::malformed_hash;
    costs.remove_prefix(comma1 + 1);
    if (!consume(costs, "t=")) return Error::malformed_hash;
    const auto comma2 = costs.find(',');
    const auto t = parse_decimal(costs.substr(0, comma2));
    if (!t || comma2 == std::string_view::npos) return Error::malformed_hash;
    costs.remove_prefix(comma2 + 1);
    if (!consume(costs, "p=")) return Error::malformed_hash;
    const auto p = parse_decimal(costs);
    if (!p || *m == 0 || *t == 0 || *p == 0) return Error::malformed_hash;
    // argon2 needs at least 8 KiB of memory per lane.
    if (*m < 8u * *p) return Error::malformed_hash;

    const std::string_view salt = take_field(rest);
    const std::string_view hash = rest;
    if (hash.find('$') != std::string_view::npos) return Error::malformed_hash;
    const auto salt_len = unpadded_base64_length(salt);
    const auto hash_len = unpadded_base64_length(hash);
    if (!salt_len || !hash_len || *salt_len < kMinSalt || *salt_len > kMaxSalt ||
        *hash_len < kMinHash || *hash_len > kMaxHash)
        return Error::malformed_hash;
    h.memory_kib = *m;
    h.iterations = *t;
    h.parallelism = *p;
    return h;
}

Result<void, Error> verify_argon2(std::string_view password, std::string_view stored,
                                  const Limits& limits) {
    auto parsed = parse_argon2(stored);
    if (!parsed) return parsed.error();
    const Argon2Hash& h = *parsed;
    if (h.memory_kib > limits.argon2_max_memory_kib || h.iterations > limits.argon2_max_iterations ||
        h.parallelism > limits.argon2_max_parallelism ||
        static_cast<std::uint64_t>(h.memory_kib) * h.iterations > limits.argon2_max_work_kib)
        return Error::cost_too_high;
    if (sodium_init() < 0) return Error::internal;
    const std::string terminated(stored);  // libsodium wants a C string
    // libsodium compares in constant time; -1 is a mismatch (or, rarely, out of memory).
    if (crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) != 0)
        return Error::mismatch;
    return {};
}

Result<std::string, Error> hash_argon2id(std::string_view password, const Params& params) {
    if (sodium_init() < 0) return Error::internal;
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.iterations,
                              static_cast<std::size_t>(params.memory_kib) * 1024,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return Error::internal;
    return std::string(out);
}

}  // namespace bulwark::password::detail
