// The strict base64url decoder every token part goes through (crypto::base64url_decode_into),
// held to a plain reference decoder on texts long enough to take its vectorised path (whole
// blocks of 32 characters while at least 44 are left) as well as its table loop and tails.
#include <bulwark/crypto.hpp>

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace bulwark;
using crypto::Base64Error;

const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// reference_decode: RFC 4648 §5 without padding, one character at a time, refusing a character
// outside the alphabet, a one-character tail and nonzero bits after the last byte.
std::optional<std::vector<std::uint8_t>> reference_decode(const std::string& text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char ch : text) {
        const auto at = kAlphabet.find(ch);
        if (at == std::string::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(at);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) return std::nullopt;  // the unused bits of the last character
    return out;
}

// decode: base64url_decode_into into a buffer with canaries after the decoded size, which
// must be left alone (the vectorised loop stores whole blocks and must stay inside the output).
std::optional<std::vector<std::uint8_t>> decode(const std::string& text) {
    std::array<std::uint8_t, 512> buffer;
    buffer.fill(0xa5);
    const std::size_t room = text.size() / 4 * 3 + 2;
    auto n = crypto::base64url_decode_into(text, std::span(buffer.data(), room));
    if (!n) return std::nullopt;
    for (std::size_t i = *n; i < buffer.size(); ++i)
        if (buffer[i] != 0xa5) {
            ADD_FAILURE() << "byte " << i << " past the decoded " << *n << " was written";
            break;
        }
    return std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n));
}

std::string text_of_length(std::size_t n, unsigned seed) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += kAlphabet[(i * 29 + seed * 7 + i * i) % 64];
    return s;
}

// Every length 0..300 and several texts each: the same verdict and bytes as the reference,
// and the same as the allocating base64url_decode.
TEST(Base64UrlDecode, EveryLengthMatchesTheReference) {
    for (std::size_t n = 0; n <= 300; ++n) {
        for (unsigned seed = 0; seed < 4; ++seed) {
            const std::string text = text_of_length(n, seed);
            SCOPED_TRACE(testing::Message() << "length " << n << " seed " << seed);
            const auto expected = reference_decode(text);
            ASSERT_EQ(decode(text), expected);
            ASSERT_EQ(crypto::base64url_decode(text), expected);
        }
    }
}

// Every byte value (all 256) in every position of every 32-character block and of the tail:
// in the alphabet it decodes to its own value, anywhere else the whole text is refused.
TEST(Base64UrlDecode, DecoderAgreesOnEveryByteInEveryBlockPosition) {
    const std::string good = text_of_length(140, 1);  // four vector blocks, then the table loop
    ASSERT_TRUE(reference_decode(good));
    for (int byte = 0; byte < 256; ++byte) {
        for (std::size_t pos = 0; pos < good.size(); ++pos) {
            std::string text = good;
            text[pos] = static_cast<char>(byte);
            const auto expected = reference_decode(text);
            const auto got = decode(text);
            ASSERT_EQ(got, expected) << "byte " << byte << " at " << pos;
            if (kAlphabet.find(static_cast<char>(byte)) == std::string::npos) {
                ASSERT_FALSE(got) << "byte " << byte << " at " << pos;
            }
        }
    }
}

// The spellings of a short tail after a long text: only the canonical one (unused bits zero)
// decodes, whichever path decoded the text before it.
TEST(Base64UrlDecode, NonCanonicalTailAfterVectorBlocksIsRefused) {
    for (std::size_t prefix_groups : {0u, 8u, 11u, 16u, 40u}) {
        const std::string prefix = text_of_length(prefix_groups * 4, 3);
        for (char last : kAlphabet) {
            const int v = static_cast<int>(kAlphabet.find(last));
            SCOPED_TRACE(testing::Message() << prefix_groups << " groups, last " << last);
            EXPECT_EQ(decode(prefix + "Z" + last).has_value(), (v & 0x0f) == 0);
            EXPECT_EQ(decode(prefix + "Zm" + last).has_value(), (v & 0x03) == 0);
            EXPECT_FALSE(decode(prefix + "Zm9v" + last).has_value());  // a one-character tail
        }
    }
}

// Named attacks on long texts, where the vectorised loop meets them.
TEST(Base64UrlDecode, AttackTableOnLongTexts) {
    const std::string body = text_of_length(96, 2);
    const struct {
        const char* name;
        std::string text;
    } refused[] = {
        {"padding", body + "Zg=="},
        {"standard_plus", std::string(1, '+').append(body, 1)},
        {"standard_slash", body.substr(0, 40) + "/" + body.substr(41)},
        {"dot_in_block", body.substr(0, 33) + "." + body.substr(34)},
        {"space", body.substr(0, 5) + " " + body.substr(6)},
        {"nul", body.substr(0, 63) + std::string(1, '\0') + body.substr(64)},
        {"high_byte", body.substr(0, 10) + "\xc3" + body.substr(11)},
        {"del", body.substr(0, 31) + "\x7f" + body.substr(32)},
        {"at_sign", body.substr(0, 20) + "@" + body.substr(21)},
        {"backtick", body.substr(0, 21) + "`" + body.substr(22)},
        {"brace", body.substr(0, 22) + "{" + body.substr(23)},
        {"bracket", body.substr(0, 23) + "[" + body.substr(24)},
        {"colon", body.substr(0, 24) + ":" + body.substr(25)},
    };
    for (const auto& c : refused) {
        SCOPED_TRACE(c.name);
        EXPECT_FALSE(decode(c.text).has_value());
        EXPECT_FALSE(crypto::base64url_decode(c.text).has_value());
    }
    std::array<std::uint8_t, 200> small{};
    auto r = crypto::base64url_decode_into(body, std::span(small.data(), 71));  // needs 72
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Base64Error::no_room);
}

}  // namespace
