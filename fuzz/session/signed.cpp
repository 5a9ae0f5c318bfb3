// Fuzz signed client-side session decoding. The first byte chooses between raw input and a
// validly signed payload made from the rest, so the JSON decoder behind the signature is
// reached too.
#include <bulwark/session.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bulwark::crypto::KeyRing keys(bulwark::crypto::SecretBytes(std::string_view("fuzz-key-fuzz-key-fuzz-key-fuzz!")));
    static const bulwark::crypto::Signer signer(keys);
    static const bulwark::session::ClientManager manager(keys);
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] & 1) {
        const std::string signed_value = signer.sign(rest, bulwark::crypto::Purpose::session);
        auto s = manager.load(signed_value);
        (void)s;
    } else {
        auto s = manager.load(rest);
        if (s.state() == bulwark::session::LoadState::loaded) std::abort();  // forged
    }
    return 0;
}
