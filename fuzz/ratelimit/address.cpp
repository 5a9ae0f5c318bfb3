// address.cpp (fuzz): address_key on arbitrary bytes and prefixes, and the key helpers,
// must never crash and never emit a separator or control character.
#include <bulwark/ratelimit.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    for (const std::string& k : {bulwark::ratelimit::address_key(text, data[0] % 140),
                                 bulwark::ratelimit::user_key(text), bulwark::ratelimit::custom_key(text, text)}) {
        if (k.size() > 300) std::abort();
        for (char c : k)
            if (static_cast<unsigned char>(c) <= 0x20 || c == '|') std::abort();
    }
    return 0;
}
