// Fuzz the store-record decoder (the JSON a shared Redis could hand back).
#include <bulwark/session.hpp>

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    bulwark::session::Options options;
    options.max_data_bytes = 4096;
    (void)bulwark::session::decode_record_for_testing(
        std::string_view(reinterpret_cast<const char*>(data), size), options);
    return 0;
}
