// Fuzz the token decoders: masked, signed and double-submit. None may crash, and no input
// without the secret may verify.
#include <bulwark/csrf.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace csrf = bulwark::csrf;
namespace crypto = bulwark::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const crypto::SecretBytes secret{std::string_view{"0123456789abcdef0123456789abcdef"}};
    static const std::vector<crypto::SecretBytes> keys{crypto::SecretBytes{std::string_view{"k"}}};
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    if (csrf::verify(secret, input).ok()) {
        // Only a correct unmasking can pass: check it independently.
        const auto raw = crypto::base64url_decode(input);
        if (!raw || raw->size() != 64) std::abort();
        for (std::size_t i = 0; i < 32; ++i)
            if (((*raw)[i] ^ (*raw)[32 + i]) != secret.reveal()[i]) std::abort();
    }
    if (csrf::verify_signed(keys, input, "binding").ok()) std::abort();  // would be a MAC forgery
    const auto half = input.size() / 2;
    const auto r = csrf::verify_double_submit(input.substr(0, half), input.substr(half));
    if (r.ok() && input.substr(0, half) != input.substr(half)) std::abort();
    return 0;
}
