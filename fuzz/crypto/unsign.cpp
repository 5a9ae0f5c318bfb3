// Fuzz Signer::unsign: any bytes must give a value or one of the four errors, never a crash,
// and whatever is accepted must be exactly what the signer would have produced. The same bytes
// go through base64url_decode_into, which must agree with base64url_decode byte for byte.
#include <bulwark/crypto.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>

using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bulwark::crypto::Signer signer{bulwark::crypto::KeyRing{
        bulwark::crypto::SecretBytes{std::string(32, 'k')}, [] {
            std::vector<bulwark::crypto::SecretBytes> old;
            old.emplace_back(std::string(32, 'o'));
            return old;
        }()}};
    const std::string_view text{reinterpret_cast<const char*>(data), size};

    static std::array<std::uint8_t, 4096> buffer;
    const auto into = bulwark::crypto::base64url_decode_into(text, buffer);
    const auto whole = bulwark::crypto::base64url_decode(text);
    if (into) {
        if (!whole || whole->size() != *into || !std::equal(whole->begin(), whole->end(), buffer.begin()))
            std::abort();
    } else if (into.error() == bulwark::crypto::Base64Error::malformed) {
        if (whole) std::abort();
    } else if (whole && whole->size() <= buffer.size()) {
        std::abort();  // no_room only when it does not fit
    }

    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1700000000}};
    auto r = signer.unsign_at(text, bulwark::crypto::Purpose::signed_value, 3600s, now);
    if (r) {
        // Only a genuine signature is accepted; the fuzzer cannot forge one, so an accepted
        // input must be one of the seeds signed with a ring key.
        const auto again = signer.sign_at(*r, bulwark::crypto::Purpose::signed_value, now);
        if (again.size() > bulwark::crypto::Signer::kMaxSignedValue + 64) std::abort();
    } else if (bulwark::crypto::unsign_error_name(r.error()) == "unknown") {
        std::abort();
    }
    return 0;
}
