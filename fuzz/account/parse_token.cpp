// Fuzz account::parse_token: any bytes, never a crash; an accepted token re-encodes to itself.
#include <bulwark/account.hpp>
#include <bulwark/crypto.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = bulwark::account::parse_token(text);
    if (r) {
        if (bulwark::crypto::base64url_encode(*r) != text) std::abort();  // one spelling per token
    }
    return 0;
}
