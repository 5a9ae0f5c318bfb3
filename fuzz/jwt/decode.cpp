// fuzz_jwt_decode: the compact decoder, the strict JSON reader and claim validation on
// arbitrary bytes. The HMAC key is fixed, so inputs that reach the payload are rare; the
// JSON reader is also fed the raw input directly to cover it fully.
#include <bulwark/jwt.hpp>

#include <cstddef>
#include <cstdint>

namespace {
const bulwark::jwt::KeySet& keys() {
    static const bulwark::jwt::KeySet set({
        bulwark::jwt::Key::hmac(bulwark::jwt::Algorithm::hs256,
                                bulwark::crypto::SecretBytes(std::string_view("fuzzing-key-fuzzing-key-fuzzing-key")), "k"),
        bulwark::jwt::Key::generate(bulwark::jwt::Algorithm::es256, "e"),
    });
    return set;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)bulwark::jwt::verify_compact(input, keys());
    (void)bulwark::jwt::bearer_from_authorization_header(input);
    auto object = bulwark::jwt::parse_json_object(input);
    if (object) {
        bulwark::jwt::Validation v{1'700'000'000, std::chrono::seconds(30), "iss", "aud"};
        (void)bulwark::jwt::validate_claims(*object, v);
    }
    return 0;
}
