// Attack table: every way a stored hash can be damaged, foreign or hostile must fail closed
// with the right reason, quickly, without throwing.
#include <bulwark/password.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace bulwark::password {
namespace {

constexpr const char* kSalt = "c2FsdHNhbHRzYWx0";          // 12 bytes
constexpr const char* kHash = "aGFzaGhhc2hoYXNoaGFzaA";    // 16 bytes
const std::string kPbkdf2Hex(64, 'a');
const std::string kScryptHex(128, 'b');

std::string argon2(const std::string& head) { return head + "$" + kSalt + "$" + kHash; }

struct BadHash {
    const char* name;
    std::string stored;
    Error want;
};

TEST(VerifyFailures, AttackTable) {
    const BadHash cases[] = {
        // Not a hash at all.
        {"empty", "", Error::malformed_hash},
        {"plain_text", "hunter2", Error::malformed_hash},
        {"too_long", std::string(kMaxStoredHash + 1, 'a'), Error::malformed_hash},
        {"binary", std::string("\x01\x02$\xff$\x00", 6), Error::malformed_hash},
        // argon2: truncated, wrong fields, wrong encodings.
        {"argon2_truncated_hash", "$argon2id$v=19$m=19456,t=2,p=1$" + std::string(kSalt) + "$aGFz",
         Error::malformed_hash},
        {"argon2_no_hash", "$argon2id$v=19$m=19456,t=2,p=1$" + std::string(kSalt), Error::malformed_hash},
        {"argon2_prefix_only", "$argon2id$", Error::unsupported_scheme},
        {"argon2_missing_p", argon2("$argon2id$v=19$m=19456,t=2"), Error::malformed_hash},
        {"argon2_reordered", argon2("$argon2id$v=19$t=2,m=19456,p=1"), Error::malformed_hash},
        {"argon2_leading_zero", argon2("$argon2id$v=19$m=019456,t=2,p=1"), Error::malformed_hash},
        {"argon2_negative", argon2("$argon2id$v=19$m=-1,t=2,p=1"), Error::malformed_hash},
        {"argon2_zero_time", argon2("$argon2id$v=19$m=19456,t=0,p=1"), Error::malformed_hash},
        {"argon2_overflow", argon2("$argon2id$v=19$m=99999999999,t=2,p=1"), Error::malformed_hash},
        {"argon2_memory_below_lanes", argon2("$argon2id$v=19$m=16,t=2,p=4"), Error::malformed_hash},
        {"argon2_padded_salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0YQ==$" + std::string(kHash),
         Error::malformed_hash},
        {"argon2_short_salt", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + std::string(kHash),
         Error::malformed_hash},
        {"argon2_bad_base64", "$argon2id$v=19$m=19456,t=2,p=1$c2Fs*HNhbHRzYWx0$" + std::string(kHash),
         Error::malformed_hash},
        {"argon2_trailing_field", argon2("$argon2id$v=19$m=19456,t=2,p=1") + "$extra", Error::malformed_hash},
        {"argon2_old_version", argon2("$argon2id$v=16$m=19456,t=2,p=1"), Error::unsupported_scheme},
        {"argon2_no_version", argon2("$argon2id$m=19456,t=2,p=1"), Error::unsupported_scheme},
        {"argon2d", argon2("$argon2d$v=19$m=19456,t=2,p=1"), Error::unsupported_scheme},
        // argon2: absurd costs (a stored hash must not become a denial of service).
        {"argon2_memory_2GiB", argon2("$argon2id$v=19$m=2097152,t=1,p=1"), Error::cost_too_high},
        {"argon2_time_1000", argon2("$argon2id$v=19$m=19456,t=1000,p=1"), Error::cost_too_high},
        {"argon2_work_product", argon2("$argon2id$v=19$m=1048576,t=8,p=1"), Error::cost_too_high},
        {"argon2_lanes", argon2("$argon2id$v=19$m=19456,t=2,p=255"), Error::cost_too_high},
        // Werkzeug pbkdf2.
        {"pbkdf2_truncated_hex", "pbkdf2:sha256:1000$salt$" + kPbkdf2Hex.substr(0, 63), Error::malformed_hash},
        {"pbkdf2_short_hex", "pbkdf2:sha256:1000$salt$" + kPbkdf2Hex.substr(0, 62), Error::malformed_hash},
        {"pbkdf2_non_hex", "pbkdf2:sha256:1000$salt$" + std::string(64, 'g'), Error::malformed_hash},
        {"pbkdf2_no_salt", "pbkdf2:sha256:1000$$" + kPbkdf2Hex, Error::malformed_hash},
        {"pbkdf2_one_dollar", "pbkdf2:sha256:1000$" + kPbkdf2Hex, Error::malformed_hash},
        {"pbkdf2_extra_dollar", "pbkdf2:sha256:1000$salt$" + kPbkdf2Hex + "$x", Error::malformed_hash},
        {"pbkdf2_zero_iterations", "pbkdf2:sha256:0$salt$" + kPbkdf2Hex, Error::malformed_hash},
        {"pbkdf2_bad_iterations", "pbkdf2:sha256:1e3$salt$" + kPbkdf2Hex, Error::malformed_hash},
        {"pbkdf2_too_many_fields", "pbkdf2:sha256:1000:1$salt$" + kPbkdf2Hex, Error::malformed_hash},
        {"pbkdf2_implicit_iterations", "pbkdf2:sha256$salt$" + kPbkdf2Hex, Error::unsupported_scheme},
        {"pbkdf2_md5", "pbkdf2:md5:1000$salt$" + std::string(32, 'a'), Error::unsupported_scheme},
        {"pbkdf2_iterations_11M", "pbkdf2:sha256:11000000$salt$" + kPbkdf2Hex, Error::cost_too_high},
        {"pbkdf2_iterations_u32max", "pbkdf2:sha256:4294967295$salt$" + kPbkdf2Hex, Error::cost_too_high},
        // Werkzeug scrypt.
        {"scrypt_n_not_power_of_two", "scrypt:1000:8:1$salt$" + kScryptHex, Error::malformed_hash},
        {"scrypt_zero_r", "scrypt:1024:0:1$salt$" + kScryptHex, Error::malformed_hash},
        {"scrypt_missing_p", "scrypt:1024:8$salt$" + kScryptHex, Error::malformed_hash},
        {"scrypt_short_key", "scrypt:1024:8:1$salt$" + kScryptHex.substr(0, 64), Error::malformed_hash},
        {"scrypt_memory_2GiB", "scrypt:2097152:8:1$salt$" + kScryptHex, Error::cost_too_high},
        {"scrypt_p_1000", "scrypt:1024:8:1000$salt$" + kScryptHex, Error::cost_too_high},
        {"scrypt_implicit_params", "scrypt$salt$" + kScryptHex, Error::unsupported_scheme},
        // Werkzeug's legacy and weak methods.
        {"werkzeug_plain", "plain$$hunter2", Error::unsupported_scheme},
        {"werkzeug_salted_sha1", "sha1$salt$" + std::string(40, 'a'), Error::unsupported_scheme},
        {"werkzeug_md5", "md5$salt$" + std::string(32, 'a'), Error::unsupported_scheme},
        // bcrypt.
        {"bcrypt_truncated", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvy", Error::malformed_hash},
        {"bcrypt_cost_one_digit", "$2b$5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeWx",
         Error::malformed_hash},
        {"bcrypt_cost_03", "$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::malformed_hash},
        {"bcrypt_cost_32", "$2b$32$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::malformed_hash},
        {"bcrypt_cost_31", "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::cost_too_high},
        {"bcrypt_cost_17", "$2b$17$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::cost_too_high},
        {"bcrypt_bad_alphabet", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe+", Error::malformed_hash},
        {"bcrypt_2x", "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::unsupported_scheme},
        {"bcrypt_2c", "$2c$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", Error::malformed_hash},
        // Other crypt(3) schemes are not accepted.
        {"md5crypt", "$1$saltsalt$abcdefghijklmnopqrstuv", Error::unsupported_scheme},
        {"sha512crypt", "$6$saltsalt$abcdefghijklmnopqrstuv", Error::unsupported_scheme},
        {"yescrypt", "$y$j9T$salt$hash", Error::unsupported_scheme},
    };
    (void)needs_rehash("");  // builds the default Hasher (one real hash) outside the timing
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const auto start = std::chrono::steady_clock::now();
        auto r = verify("correct horse battery staple", c.stored);
        const auto took = std::chrono::steady_clock::now() - start;
        ASSERT_FALSE(r);
        EXPECT_EQ(error_name(r.error()), error_name(c.want));
        // Refusals are decided by parsing alone, long before any expensive work.
        EXPECT_LT(took, std::chrono::milliseconds(200));
        EXPECT_TRUE(needs_rehash(c.stored));
    }
}

TEST(VerifyFailures, EveryTruncationOfARealHashFailsClosed) {
    const std::vector<std::string> real = {
        "$argon2id$v=19$m=19456,t=2,p=1$tIN28Andq3iNcFWNyoG57Q$MKzlitOqdWqgJb0cO9l0Cw",
        "pbkdf2:sha256:1000$n35MxG4DmrhD2aTK$67a16a87c314b8bbbe99b3fbd6e604c12657bfe23160893d1874bb2f7726eba8",
        "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
    };
    for (const auto& stored : real) {
        for (std::size_t n = 0; n < stored.size(); ++n) {
            SCOPED_TRACE(stored.substr(0, n));
            auto r = verify("correct horse battery staple", stored.substr(0, n));
            ASSERT_FALSE(r);
            // A truncated argon2 hash can still be valid base64 of >= 16 bytes: then it is a
            // plain mismatch, never a success.
            EXPECT_NE(r.error(), Error::internal);
        }
    }
}

TEST(Names, ErrorsAndSchemes) {
    EXPECT_EQ(error_name(Error::busy), "busy");
    EXPECT_EQ(error_name(Error::bcrypt_password_too_long), "bcrypt_password_too_long");
    EXPECT_EQ(scheme_name(Scheme::argon2id), "argon2id");
    EXPECT_EQ(scheme_name(Scheme::scrypt), "scrypt");
}

}  // namespace
}  // namespace bulwark::password
