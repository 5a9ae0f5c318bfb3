// Fuzz remember-me cookie parsing and consumption against an in-memory store.
#include <bulwark/auth.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto store = *bulwark::store::open("memory://");
    static const bulwark::auth::RememberMe rm(
        store, bulwark::crypto::KeyRing(bulwark::crypto::SecretBytes(std::string_view("fuzz-key-fuzz-key-fuzz-key-fuzz!"))));
    auto r = rm.consume(std::string_view(reinterpret_cast<const char*>(data), size));
    if (r) std::abort();  // no token was ever issued
    return 0;
}
