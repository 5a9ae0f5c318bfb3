// fuzz_apikey_parse: the X-API-Key format and checksum check on arbitrary bytes.
#include <bulwark/apikey.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)bulwark::apikey::parse_key(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
