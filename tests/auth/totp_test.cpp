// TOTP known answers (RFC 6238 appendix B), codes from Debian's oathtool, base32 tables,
// the enrolment URI.
#include "support/test_env.hpp"

#include <bulwark/auth.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

namespace bulwark::auth {
namespace {

TimePoint at(std::int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }

const std::string kSha1Secret = "12345678901234567890";
const std::string kSha256Secret = "12345678901234567890123456789012";

TEST(Totp, Rfc6238AppendixB) {
    const struct {
        std::int64_t time;
        const char* sha1;
        const char* sha256;
    } vectors[] = {
        {59, "94287082", "46119246"},
        {1111111109, "07081804", "68084774"},
        {1111111111, "14050471", "67062674"},
        {1234567890, "89005924", "91819424"},
        {2000000000, "69279037", "90698825"},
        // The RFC's last row (T = 20000000000, year 2603) is past what system_clock's
        // nanosecond time_point can hold (year 2262), so it cannot be asked for.
    };
    for (const auto& v : vectors) {
        EXPECT_EQ(totp_code(crypto::as_bytes(kSha1Secret), {TotpAlgorithm::sha1, 8}, at(v.time)), v.sha1) << v.time;
        EXPECT_EQ(totp_code(crypto::as_bytes(kSha256Secret), {TotpAlgorithm::sha256, 8}, at(v.time)), v.sha256)
            << v.time;
    }
}

TEST(Totp, SixDigitsAreTheLowDigits) {
    EXPECT_EQ(totp_code(crypto::as_bytes(kSha1Secret), {}, at(59)), "287082");
}

TEST(Totp, BadParamsGiveNoCode) {
    EXPECT_EQ(totp_code(crypto::as_bytes(kSha1Secret), {TotpAlgorithm::sha1, 5}, at(59)), "");
    EXPECT_EQ(totp_code(crypto::as_bytes(kSha1Secret), {TotpAlgorithm::sha1, 9}, at(59)), "");
    EXPECT_EQ(totp_code(crypto::as_bytes(kSha1Secret), {TotpAlgorithm::sha1, 6, std::chrono::seconds{0}}, at(59)), "");
}

TEST(Totp, DriftWindowIsOneStep) {
    const auto secret = crypto::as_bytes(kSha1Secret);
    const TimePoint now = at(1111111111);
    const std::string previous = totp_code(secret, {}, now - std::chrono::seconds(30));
    const std::string next = totp_code(secret, {}, now + std::chrono::seconds(30));
    const std::string two_back = totp_code(secret, {}, now - std::chrono::seconds(60));
    const std::string two_ahead = totp_code(secret, {}, now + std::chrono::seconds(60));
    EXPECT_TRUE(totp_match(secret, previous, {}, now));
    EXPECT_TRUE(totp_match(secret, next, {}, now));
    EXPECT_FALSE(totp_match(secret, two_back, {}, now));
    EXPECT_FALSE(totp_match(secret, two_ahead, {}, now));
}

TEST(Totp, MalformedCodesNeverMatch) {
    const auto secret = crypto::as_bytes(kSha1Secret);
    const std::string good = totp_code(secret, {}, at(59));
    for (std::string bad : {std::string(""), good + "0", good.substr(1), std::string(" ") + good.substr(1),
                            std::string("28708a"), std::string("-28708"), std::string("２８７０８２")})
        EXPECT_FALSE(totp_match(secret, bad, {}, at(59))) << bad;
}

std::string run_oathtool(const std::string& args) {
    std::array<char, 128> buffer{};
    std::string out;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("oathtool " + args + " 2>/dev/null").c_str(), "r"), pclose);
    if (!pipe) return {};
    while (fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

TEST(Totp, MatchesOathtool) {
    if (run_oathtool("--version").empty()) {
        if (testing_env::services_required()) FAIL() << "oathtool is not installed (apt-get install oathtool)";
        GTEST_SKIP() << "oathtool is not installed";
    }
    const struct {
        const char* name;
        TotpParams params;
        const char* flag;
    } variants[] = {
        {"sha1_6", {TotpAlgorithm::sha1, 6}, "--totp=sha1 -d 6"},
        {"sha1_8", {TotpAlgorithm::sha1, 8}, "--totp=sha1 -d 8"},
        {"sha256_6", {TotpAlgorithm::sha256, 6}, "--totp=sha256 -d 6"},
        {"sha256_7", {TotpAlgorithm::sha256, 7}, "--totp=sha256 -d 7"},
    };
    for (int round = 0; round < 5; ++round) {
        for (const auto& v : variants) {
            const crypto::Bytes secret = new_totp_secret(v.params.algorithm);
            const std::string b32 = base32_encode(secret);
            const std::int64_t when = 1'000'000'000 + static_cast<std::int64_t>(crypto::random_uniform(1'000'000'000));
            const std::string theirs =
                run_oathtool(std::string(v.flag) + " -b " + b32 + " -N @" + std::to_string(when));
            EXPECT_EQ(totp_code(secret, v.params, at(when)), theirs) << v.name << " at " << when;
        }
    }
}

TEST(Base32, Rfc4648Vectors) {
    const struct {
        const char* plain;
        const char* padded;
    } vectors[] = {{"", ""},           {"f", "MY======"},         {"fo", "MZXQ===="},
                   {"foo", "MZXW6==="}, {"foob", "MZXW6YQ="},     {"fooba", "MZXW6YTB"},
                   {"foobar", "MZXW6YTBOI======"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(base32_encode(crypto::as_bytes(v.plain), true), v.padded) << v.plain;
        auto padded = base32_decode(v.padded);
        ASSERT_TRUE(padded) << v.padded;
        EXPECT_EQ(std::string(padded->begin(), padded->end()), v.plain);
        std::string bare = v.padded;
        bare.erase(bare.find_last_not_of('=') + 1);
        if (bare.empty() && std::string(v.padded).empty()) bare = "";
        auto unpadded = base32_decode(bare);
        ASSERT_TRUE(unpadded) << bare;
        EXPECT_EQ(std::string(unpadded->begin(), unpadded->end()), v.plain);
    }
}

TEST(Base32, StrictDecoding) {
    const struct {
        const char* name;
        std::string text;
    } cases[] = {
        {"lower_case", "mzxw6"},
        {"digit_one", "MZXW1"},
        {"digit_eight", "MZXW8"},
        {"space", "MZXW 6YTB"},
        {"newline", "MZXW6YTB\n"},
        {"bad_length_1", "M"},
        {"bad_length_3", "MZX"},
        {"bad_length_6", "MZXW6Y"},
        {"wrong_padding_count", "MY====="},
        {"padding_in_middle", "MY==MZXQ"},
        {"too_much_padding", "M======="},
        {"non_canonical_tail", "MZ"},
        {"over_long", std::string(kMaxBase32 + 8, 'A')},
    };
    for (const auto& c : cases) EXPECT_FALSE(base32_decode(c.text)) << c.name;
}

TEST(Base32, RoundTripsRandom) {
    for (std::size_t n = 0; n < 64; ++n) {
        const crypto::Bytes data = crypto::random_bytes(n);
        auto back = base32_decode(base32_encode(data));
        ASSERT_TRUE(back) << n;
        EXPECT_EQ(*back, data);
    }
}

TEST(Totp, OtpauthUri) {
    const std::string uri = otpauth_uri("Bulwark App", "alice@example.com", crypto::as_bytes(kSha1Secret));
    EXPECT_EQ(uri,
              "otpauth://totp/Bulwark%20App:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
              "&issuer=Bulwark%20App&algorithm=SHA1&digits=6&period=30");
    const std::string tricky = otpauth_uri("A:B&x=1", "u?secret=X", crypto::as_bytes("k"), {TotpAlgorithm::sha256, 8});
    EXPECT_EQ(tricky.find("A:B"), std::string::npos) << "a colon in the issuer must not split the label";
    EXPECT_NE(tricky.find("&algorithm=SHA256&digits=8&period=30"), std::string::npos);
    EXPECT_EQ(tricky.find("&x=1"), std::string::npos);
}

TEST(Totp, NewSecretSizes) {
    EXPECT_EQ(new_totp_secret(TotpAlgorithm::sha1).size(), 20u);
    EXPECT_EQ(new_totp_secret(TotpAlgorithm::sha256).size(), 32u);
}

}  // namespace
}  // namespace bulwark::auth
