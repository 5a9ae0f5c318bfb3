// fuzz_webhook_header: both signature header parsers on arbitrary bytes.
#include <bulwark/webhook.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    (void)bulwark::webhook::parse_timestamped_header(input);
    static const std::string secret = "fuzz-secret";
    (void)bulwark::webhook::verify_sha256_header(bulwark::crypto::as_bytes(secret),
                                                 bulwark::crypto::as_bytes(input), input);
    return 0;
}
