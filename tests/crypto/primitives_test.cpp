#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

#include <algorithm>

namespace bulwark::crypto {
namespace {

struct Base64Case {
    const char* name;
    std::string raw;
    const char* url;
    const char* standard;
};

TEST(Base64, Rfc4648Vectors) {
    const Base64Case cases[] = {
        {"empty", "", "", ""},
        {"f", "f", "Zg", "Zg=="},
        {"fo", "fo", "Zm8", "Zm8="},
        {"foo", "foo", "Zm9v", "Zm9v"},
        {"foob", "foob", "Zm9vYg", "Zm9vYg=="},
        {"fooba", "fooba", "Zm9vYmE", "Zm9vYmE="},
        {"foobar", "foobar", "Zm9vYmFy", "Zm9vYmFy"},
        {"url_alphabet", "\xfb\xff", "-_8", "+/8="},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(base64url_encode(as_bytes(c.raw)), c.url);
        EXPECT_EQ(base64_encode(as_bytes(c.raw)), c.standard);
        auto back = base64url_decode(c.url);
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(std::string(back->begin(), back->end()), c.raw);
        auto back_std = base64_decode(c.standard);
        ASSERT_TRUE(back_std.has_value());
        EXPECT_EQ(std::string(back_std->begin(), back_std->end()), c.raw);
    }
}

// Every length (whole groups and both tails) and every byte value survives the round trip.
TEST(Base64, RoundTripsEveryLengthAndByte) {
    Bytes data;
    for (std::size_t length = 0; length <= 300; ++length) {
        SCOPED_TRACE(length);
        const auto url = base64url_encode(data);
        const auto standard = base64_encode(data);
        EXPECT_EQ(url.size(), (length * 4 + 2) / 3);
        EXPECT_EQ(standard.size(), (length + 2) / 3 * 4);
        EXPECT_EQ(base64url_decode(url), std::optional<Bytes>(data));
        EXPECT_EQ(base64_decode(standard), std::optional<Bytes>(data));
        data.push_back(static_cast<std::uint8_t>(length * 37 + 11));
    }
}

TEST(Base64, StrictDecodingRefusesBadInput) {
    const struct {
        const char* name;
        const char* text;
    } bad_url[] = {
        {"padding", "Zg=="}, {"standard_alphabet", "+/8"}, {"whitespace", "Zm 9v"},
        {"one_char_tail", "Zm9vY"}, {"non_canonical_bits", "Zh"}, {"nul", "Zm\0v"},
    };
    for (const auto& c : bad_url) {
        SCOPED_TRACE(c.name);
        EXPECT_FALSE(base64url_decode(c.text).has_value());
    }
    EXPECT_FALSE(base64_decode("Zg=").has_value());
    EXPECT_FALSE(base64_decode("Zg").has_value());
    EXPECT_FALSE(base64_decode("Z===").has_value());
}

// The table decoder against the definition: every length round-trips in both alphabets, any
// byte outside the alphabet at any position is refused, and of the spellings of a short tail
// only the canonical one (unused bits zero) decodes.
TEST(Base64, DecoderMatchesTheDefinitionExhaustively) {
    Bytes raw;
    for (std::size_t n = 0; n <= 70; ++n) {
        SCOPED_TRACE(n);
        auto url = base64url_encode(raw);
        auto std_text = base64_encode(raw);
        ASSERT_EQ(base64url_decode(url), std::optional<Bytes>(raw));
        ASSERT_EQ(base64_decode(std_text), std::optional<Bytes>(raw));
        raw.push_back(static_cast<std::uint8_t>(n * 37 + 11));
    }
    const std::string alphabet_url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const std::string good = base64url_encode(as_bytes("any carnal pleasure."));  // 27 chars
    for (int byte = 0; byte < 256; ++byte) {
        if (alphabet_url.find(static_cast<char>(byte)) != std::string::npos) continue;
        for (std::size_t pos = 0; pos < good.size(); ++pos) {
            std::string bad = good;
            bad[pos] = static_cast<char>(byte);
            ASSERT_FALSE(base64url_decode(bad).has_value()) << "byte " << byte << " at " << pos;
        }
    }
    for (const std::string prefix : {"", "Zm9v"}) {
        for (char last : alphabet_url) {
            const int v = static_cast<int>(alphabet_url.find(last));
            EXPECT_EQ(base64url_decode(prefix + "Z" + last).has_value(), (v & 0x0f) == 0) << last;
            EXPECT_EQ(base64url_decode(prefix + "Zm" + last).has_value(), (v & 0x03) == 0) << last;
        }
    }
}

// base64url_decode_into: the same verdict and bytes as base64url_decode, into a fixed buffer;
// a buffer one byte short is no_room, never a partial success.
TEST(Base64, DecodeIntoASpan) {
    const struct {
        const char* name;
        std::string text;
        std::size_t room;
        std::optional<std::string> decoded;  // nullopt: refused with `error`
        Base64Error error = Base64Error::malformed;
    } cases[] = {
        {"empty", "", 0, ""},
        {"empty_into_room", "", 8, ""},
        {"one_byte", "Zg", 1, "f"},
        {"two_bytes", "Zm8", 2, "fo"},
        {"three_bytes", "Zm9v", 3, "foo"},
        {"six_bytes_big_room", "Zm9vYmFy", 64, "foobar"},
        {"url_alphabet", "-_8", 2, "\xfb\xff"},
        {"exact_room_short_by_one", "Zm9vYmFy", 5, std::nullopt, Base64Error::no_room},
        {"no_room_at_all", "Zg", 0, std::nullopt, Base64Error::no_room},
        {"padding", "Zg==", 8, std::nullopt},
        {"standard_alphabet_plus", "+/8", 8, std::nullopt},
        {"whitespace", "Zm 9v", 8, std::nullopt},
        {"newline", "Zm9v\nYmFy", 8, std::nullopt},
        {"one_char_tail", "Zm9vY", 8, std::nullopt},
        {"non_canonical_two", "Zh", 8, std::nullopt},
        {"non_canonical_three", "Zm9", 8, std::nullopt},
        {"nul_inside", std::string("Zm\0v", 4), 8, std::nullopt},
        {"high_byte_first_group", "\xffm9vYmFy", 8, std::nullopt},
        {"bad_in_last_whole_group", "Zm9vYm.y", 8, std::nullopt},
        {"dot", "Zm9v.", 8, std::nullopt},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::array<std::uint8_t, 64> buffer{};
        auto r = base64url_decode_into(c.text, std::span(buffer.data(), c.room));
        auto reference = base64url_decode(c.text);
        if (c.decoded) {
            ASSERT_TRUE(r);
            EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*r)),
                      *c.decoded);
            EXPECT_TRUE(reference.has_value());
        } else {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), c.error);
            if (c.error == Base64Error::malformed) {
                EXPECT_FALSE(reference.has_value());
            }
        }
    }
    // Every length round-trips, and a buffer one byte short is refused.
    Bytes raw;
    for (std::size_t n = 0; n <= 70; ++n) {
        SCOPED_TRACE(n);
        std::array<std::uint8_t, 70> buffer{};
        auto text = base64url_encode(raw);
        auto r = base64url_decode_into(text, std::span(buffer.data(), n));
        ASSERT_TRUE(r);
        ASSERT_EQ(*r, n);
        EXPECT_TRUE(std::equal(raw.begin(), raw.end(), buffer.begin()));
        if (n > 0) {
            auto short_by_one = base64url_decode_into(text, std::span(buffer.data(), n - 1));
            ASSERT_FALSE(short_by_one);
            EXPECT_EQ(short_by_one.error(), Base64Error::no_room);
        }
        raw.push_back(static_cast<std::uint8_t>(n * 37 + 11));
    }
}

TEST(Hex, RoundTripAndBadInput) {
    EXPECT_EQ(hex_encode(as_bytes("\x01\xab\xff")), "01abff");
    auto back = hex_decode("01ABff");
    ASSERT_TRUE(back);
    EXPECT_EQ(hex_encode(*back), "01abff");
    EXPECT_FALSE(hex_decode("abc"));
    EXPECT_FALSE(hex_decode("zz"));
}

// RFC 4231 test cases 1, 2 and 6 for HMAC-SHA256 and HMAC-SHA512.
TEST(Hmac, Rfc4231) {
    const struct {
        const char* name;
        std::string key;
        std::string data;
        const char* sha256;
        const char* sha512;
    } cases[] = {
        {"case1", std::string(20, '\x0b'), "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
         "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
        {"case2", "Jefe", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
         "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
        {"case6", std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
         "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(hex_encode(hmac_sha256(as_bytes(c.key), as_bytes(c.data))), c.sha256);
        EXPECT_EQ(hex_encode(hmac_sha512(as_bytes(c.key), as_bytes(c.data))), c.sha512);
    }
}

TEST(Sha256, KnownAnswer) {
    EXPECT_EQ(hex_encode(sha256(as_bytes("abc"))),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Equal, ComparesContentsAndLength) {
    EXPECT_TRUE(equal("abc", "abc"));
    EXPECT_FALSE(equal("abc", "abd"));
    EXPECT_FALSE(equal("abc", "abcd"));
    EXPECT_TRUE(equal("", ""));
}

// Each size has its own comparison (16, 32 and 64 bytes: libsodium's fixed-size ones): a
// difference in any single byte, first or last or between, is found at every size.
TEST(Equal, FindsADifferenceInAnyByteAtEverySize) {
    for (std::size_t n : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 48u, 63u, 64u, 65u, 100u}) {
        SCOPED_TRACE(n);
        const Bytes a = random_bytes(n);
        EXPECT_TRUE(equal(ByteView(a), ByteView(Bytes(a))));
        for (std::size_t i = 0; i < n; ++i) {
            Bytes b = a;
            b[i] ^= 0x01;
            ASSERT_FALSE(equal(ByteView(a), ByteView(b))) << "byte " << i;
            b[i] = static_cast<std::uint8_t>(a[i] ^ 0x80);
            ASSERT_FALSE(equal(ByteView(a), ByteView(b))) << "byte " << i;
        }
    }
}

TEST(Random, TokensAreLongAndDistinct) {
    const std::string a = random_token();
    const std::string b = random_token();
    EXPECT_EQ(a.size(), 43u);  // 32 bytes, unpadded base64url
    EXPECT_NE(a, b);
    EXPECT_EQ(random_bytes(16).size(), 16u);
    for (int i = 0; i < 100; ++i) EXPECT_LT(random_uniform(7), 7u);
}

TEST(SecretBytes, MoveLeavesSourceEmpty) {
    SecretBytes a(std::string_view("key material"));
    SecretBytes b(std::move(a));
    EXPECT_EQ(b.size(), 12u);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the wipe
}

}  // namespace
}  // namespace bulwark::crypto
