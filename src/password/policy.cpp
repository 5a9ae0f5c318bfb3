// Password policy: length in code points, guessability (zxcvbn-c), and personal data.
// NIST SP 800-63B §5.1.1.2: long passphrases allowed, no composition rules, check against
// known-bad values. Messages are written for a form's error list.
#include <bulwark/password.hpp>

#include <zxcvbn.h>

#include <cmath>
#include <mutex>
#include <string>

namespace bulwark::password {
namespace {

std::size_t code_points(std::string_view utf8) {
    std::size_t n = 0;
    for (unsigned char c : utf8)
        if ((c & 0xc0) != 0x80) ++n;
    return n;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view local_part(std::string_view email) {
    const auto at = email.rfind('@');
    return at == std::string_view::npos ? email : email.substr(0, at);
}

// A personal word this short is too common a substring to forbid ("al" in "totally").
constexpr std::size_t kMinPersonalWord = 3;
// zxcvbn-c's matching grows faster than linearly; beyond this many bytes a password is far
// past every score threshold anyway, so only a prefix is scored.
constexpr std::size_t kMaxScoredBytes = 256;

}  // namespace

bool valid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(text[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;  // overlong, out of range, or a UTF-16 surrogate
        i += len;
    }
    return true;
}

int strength_score(std::string_view password, const PolicyContext& context) {
    // zxcvbn-c reads C strings; cut at a code-point boundary so the prefix stays valid UTF-8.
    std::size_t cut = std::min(password.size(), kMaxScoredBytes);
    while (cut < password.size() && cut > 0 && (static_cast<unsigned char>(password[cut]) & 0xc0) == 0x80)
        --cut;
    const std::string text(password.substr(0, cut));
    const std::string user = ascii_lower(context.username);
    const std::string local = ascii_lower(local_part(context.email));
    const char* dict[3] = {nullptr, nullptr, nullptr};
    std::size_t k = 0;
    if (!user.empty()) dict[k++] = user.c_str();
    if (!local.empty()) dict[k++] = local.c_str();
    double bits;
    {
        // zxcvbn-c documents no thread-safety guarantee; the lock costs little next to matching.
        static std::mutex zxcvbn_mutex;
        std::lock_guard lock(zxcvbn_mutex);
        bits = ZxcvbnMatch(text.c_str(), dict, nullptr);
    }
    const double log10_guesses = bits * std::log10(2.0);
    if (log10_guesses < 3) return 0;
    if (log10_guesses < 6) return 1;
    if (log10_guesses < 8) return 2;
    if (log10_guesses < 10) return 3;
    return 4;
}

std::vector<std::string> check_policy(std::string_view password, const PolicyContext& context,
                                      const Policy& policy) {
    std::vector<std::string> problems;
    if (password.size() > kMaxPasswordBytes || !valid_utf8(password) ||
        password.find('\0') != std::string_view::npos) {
        problems.push_back(password.size() > kMaxPasswordBytes
                               ? "Password must be at most " + std::to_string(policy.max_length) +
                                     " characters."
                               : "Password contains characters that are not allowed.");
        return problems;
    }
    const std::size_t length = code_points(password);
    if (length > policy.max_length) {
        problems.push_back("Password must be at most " + std::to_string(policy.max_length) +
                           " characters.");
        return problems;
    }
    if (length < policy.min_length)
        problems.push_back("Password must be at least " + std::to_string(policy.min_length) +
                           " characters.");

    const std::string lowered = ascii_lower(password);
    const std::string user = ascii_lower(context.username);
    const std::string email = ascii_lower(context.email);
    const std::string local(local_part(email));
    if (!user.empty() && (lowered == user || (user.size() >= kMinPersonalWord &&
                                              lowered.find(user) != std::string::npos)))
        problems.push_back("Password must not contain your username.");
    if (!email.empty() && (lowered == email || lowered == local ||
                           (local.size() >= kMinPersonalWord &&
                            lowered.find(local) != std::string::npos)))
        problems.push_back("Password must not contain your email address.");

    if (strength_score(password, context) < policy.min_score)
        problems.push_back("Password is too easy to guess: avoid common words, names and "
                           "patterns, or use a longer passphrase.");
    return problems;
}

}  // namespace bulwark::password
