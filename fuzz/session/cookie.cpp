// Fuzz the strict cookie-id check and a full load() with an in-memory store.
#include <bulwark/session.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto store = *bulwark::store::open("memory://");
    static const bulwark::session::Manager manager(store, bulwark::crypto::KeyRing(bulwark::crypto::SecretBytes(
                                                              std::string_view("fuzz-key-fuzz-key-fuzz-key-fuzz!"))));
    const std::string_view value(reinterpret_cast<const char*>(data), size);
    const bool valid = bulwark::session::valid_cookie_id(value);
    if (valid && value.size() != bulwark::session::kCookieIdLength) std::abort();
    auto s = manager.load(value, value, value);
    if (!valid && !value.empty() && s.state() != bulwark::session::LoadState::malformed) std::abort();
    if (!s.is_new()) std::abort();  // nothing a fuzzer makes can name a live session
    return 0;
}
