// Fuzz password::Hasher::verify with the stored hash as input: any bytes must give a result,
// never a crash, and nothing the fuzzer writes may verify. Limits are tight so that a valid
// looking hash costs milliseconds, not seconds.
#include <bulwark/password.hpp>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bulwark::password::Hasher hasher{
        bulwark::password::Params{.memory_kib = 19 * 1024, .iterations = 2},
        bulwark::password::Limits{.argon2_max_memory_kib = 19 * 1024,
                                  .argon2_max_iterations = 2,
                                  .argon2_max_work_kib = 19 * 1024 * 2,
                                  .argon2_max_parallelism = 2,
                                  .pbkdf2_max_iterations = 1000,
                                  .scrypt_max_memory_bytes = 1u << 20,
                                  .scrypt_max_p = 2,
                                  .bcrypt_max_cost = 5}};
    const std::string_view stored{reinterpret_cast<const char*>(data), size};
    auto r = hasher.verify("fuzz password", stored);
    (void)hasher.needs_rehash(stored);
    if (r) std::abort();  // the fuzzer cannot know a hash of "fuzz password"
    if (bulwark::password::error_name(r.error()) == "unknown") std::abort();
    return 0;
}
