// Randomness, encodings, hashes and MACs. libsodium for randomness and constant-time work,
// OpenSSL for SHA-2 and HMAC (one-shot calls, no state to leak).
#include <bulwark/crypto.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BULWARK_BASE64_AVX2 1
#endif

namespace bulwark::crypto {
namespace {

// sodium_init must run before any libsodium call; it is idempotent and thread-safe.
void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium could not be initialised");
}

constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kB64Std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// encode64 writes into a string sized once (it runs for every request id and CSP nonce);
// appending a character at a time cost a capacity check per character.
std::string encode64(ByteView data, const char* alphabet, bool pad) {
    const std::size_t whole = data.size() / 3;
    const std::size_t rest = data.size() - whole * 3;
    const std::size_t tail = rest == 0 ? 0 : (pad ? 4 : rest + 1);
    std::string out(whole * 4 + tail, '\0');
    char* o = out.data();
    const std::uint8_t* d = data.data();
    for (std::size_t g = 0; g < whole; ++g, d += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t{d[0]} << 16) | (std::uint32_t{d[1]} << 8) | d[2];
        o[0] = alphabet[(v >> 18) & 63];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = alphabet[v & 63];
    }
    if (rest != 0) {
        const std::uint32_t v = (std::uint32_t{d[0]} << 16) | (rest == 2 ? std::uint32_t{d[1]} << 8 : 0u);
        o[0] = alphabet[(v >> 18) & 63];
        o[1] = alphabet[(v >> 12) & 63];
        if (rest == 2) o[2] = alphabet[(v >> 6) & 63];
        if (pad) {
            if (rest == 1) o[2] = '=';
            o[3] = '=';
        }
    }
    return out;
}

// kDecode64: each byte's 6-bit value in one alphabet, -1 for a byte outside it. A table, not
// branches, because tokens (JWTs, signed values, session ids) are decoded on every request.
using DecodeTable = std::array<std::int8_t, 256>;
constexpr DecodeTable make_decode_table(bool url) {
    DecodeTable t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 26; ++i) {
        t['A' + i] = static_cast<std::int8_t>(i);
        t['a' + i] = static_cast<std::int8_t>(26 + i);
    }
    for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::int8_t>(52 + i);
    t[url ? '-' : '+'] = 62;
    t[url ? '_' : '/'] = 63;
    return t;
}
constexpr DecodeTable kDecodeUrl = make_decode_table(true);
constexpr DecodeTable kDecodeStd = make_decode_table(false);

// decoded_size: the size `text` (unpadded, rest != 1) decodes to.
constexpr std::size_t decoded_size(std::size_t chars) {
    return chars / 4 * 3 + (chars % 4 == 0 ? 0 : chars % 4 - 1);
}

// GroupTables: a DecodeTable widened and pre-shifted for each of the four places in a group,
// so a group is four loads and three ORs; a byte outside the alphabet is kBad in every
// place, above the 24 data bits, where one OR over all groups collects it.
constexpr std::uint32_t kBad = 0xff000000u;
struct GroupTables {
    std::array<std::array<std::uint32_t, 256>, 4> shifted;
};
constexpr GroupTables make_group_tables(const DecodeTable& t) {
    GroupTables g{};
    for (int place = 0; place < 4; ++place)
        for (std::size_t c = 0; c < 256; ++c)
            g.shifted[place][c] = t[c] < 0 ? kBad : static_cast<std::uint32_t>(t[c]) << (6 * (3 - place));
    return g;
}
constexpr GroupTables kGroupsUrl = make_group_tables(kDecodeUrl);
constexpr GroupTables kGroupsStd = make_group_tables(kDecodeStd);

#ifdef BULWARK_BASE64_AVX2
// decode_url_avx2: every whole group (4 characters) of base64url text, 32 characters at a
// time with AVX2 (chosen at run time; the build targets plain x86-64). A JWT's payload and
// signature are decoded on every request, and a block of 32 costs about what the table loop
// spends on one group of 4. `whole` is the text's length without its 2- or 3-character tail
// (a multiple of 4); the tail is the table loop's. Nothing is read past in + whole and nothing
// written past out + whole / 4 * 3: a block stores 32 bytes (24 decoded) straight into out
// only while 44 or more characters are left, so the 8 spare bytes land where later bytes of
// this output go; nearer the end it goes through a stack block, and the last partial block is
// loaded a 4-byte lane at a time under a mask. `bad` is set for any byte outside the alphabet.
//
// A character is classified by its two nibbles: lo_classes[low] has bit h set when the byte
// 0xh<low> is in the alphabet, hi_bit[h] is 1 << h (nothing for h >= 8, which covers every
// non-ASCII byte), so a byte is valid exactly when the two AND to nonzero. Its value is then the
// byte plus an offset that depends on the high nibble alone, except '_' (0x5f), which shares
// nibble 5 with 'P'..'Z' and is corrected on its own. tests/jwt/base64url_decode_test.cpp
// holds it to a reference decoder for every byte in every position and every length.
__attribute__((target("avx2"))) inline __m256i decode_block(__m256i v, __m256i& invalid) noexcept {
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    const __m256i lo_classes = _mm256_setr_epi8(
        // '0'-'9' 'A'-'O' 'P'-'Z' 'a'-'o' 'p'-'z' by low nibble; '-' is 0x2d, '_' 0x5f.
        char(0xa8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8),
        char(0xf8), char(0xf8), char(0xf0), 0x50, 0x50, 0x54, 0x50, 0x70,
        char(0xa8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8), char(0xf8),
        char(0xf8), char(0xf8), char(0xf0), 0x50, 0x50, 0x54, 0x50, 0x70);
    const __m256i hi_bit = _mm256_setr_epi8(0, 0, 0x04, 0x08, 0x10, 0x20, 0x40, char(0x80), 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0x04, 0x08, 0x10, 0x20, 0x40, char(0x80), 0, 0, 0, 0, 0, 0, 0, 0);
    // '-' + 17 = 62, '0' + 4 = 52, 'A' - 65 = 0, 'a' - 71 = 26; '_' - 65 + 33 = 63.
    const __m256i offset = _mm256_setr_epi8(0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 17, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    // Within each 32-bit lane after the two multiply-adds: bytes 2, 1, 0 are the three decoded
    // bytes in order; gather them to the front of each 128-bit half, then the halves together.
    const __m256i gather = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
                                            2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
    const __m256i lo = _mm256_and_si256(v, nibble);
    const __m256i classes = _mm256_and_si256(_mm256_shuffle_epi8(lo_classes, lo), _mm256_shuffle_epi8(hi_bit, hi));
    invalid = _mm256_or_si256(invalid, _mm256_cmpeq_epi8(classes, _mm256_setzero_si256()));
    __m256i shift = _mm256_shuffle_epi8(offset, hi);
    shift = _mm256_add_epi8(shift, _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('_')),
                                                    _mm256_set1_epi8(33)));
    const __m256i sextets = _mm256_add_epi8(v, shift);
    // a*64 + b per byte pair, then (ab)*4096 + (cd) per pair of pairs: 24 bits per 4 bytes.
    const __m256i pairs = _mm256_maddubs_epi16(sextets, _mm256_set1_epi32(0x01400140));
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x00011000));
    return _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(quads, gather),
                                       _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
}

__attribute__((target("avx2"))) void decode_url_avx2(const unsigned char* in, std::size_t whole,
                                                     std::uint8_t* out, bool& bad) noexcept {
    __m256i invalid = _mm256_setzero_si256();
    alignas(32) std::uint8_t block[32];
    std::size_t i = 0;
    for (; whole - i >= 32; i += 32, out += 24) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
        const __m256i decoded = decode_block(v, invalid);
        if (whole - i >= 44) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), decoded);
        } else {
            _mm256_store_si256(reinterpret_cast<__m256i*>(block), decoded);
            std::memcpy(out, block, 24);
        }
    }
    if (i < whole) {
        // 1 to 7 groups left, one 32-bit lane each: the lanes past them are neither read (a
        // masked load does not touch them) nor judged (they are filled with 'A', a valid 0).
        const int groups = static_cast<int>((whole - i) / 4);
        const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(groups), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256i v = _mm256_maskload_epi32(reinterpret_cast<const int*>(in + i), lanes);
        v = _mm256_blendv_epi8(_mm256_set1_epi8('A'), v, lanes);
        _mm256_store_si256(reinterpret_cast<__m256i*>(block), decode_block(v, invalid));
        std::memcpy(out, block, static_cast<std::size_t>(groups) * 3);
    }
    bad = !_mm256_testz_si256(invalid, invalid);
}

bool has_avx2() noexcept {
    // __builtin_cpu_init first: a decode may run in another object's static initializer,
    // before the runtime's own CPU probe has.
    static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2"));
    return yes;
}
#endif

// decode64_into refuses anything but the canonical encoding, so one value has one spelling
// (a MAC over a token and over its re-encoding must not both verify). `text` carries no
// padding; out has room for decoded_size(text.size()) bytes. Validity is checked once after
// the main loop, not per group: a token is almost always well-formed.
bool decode64_into(std::string_view text, const DecodeTable& table, const GroupTables& groups,
                   std::uint8_t* out) noexcept {
    const std::size_t rest = text.size() % 4;
    if (rest == 1) return false;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const auto& [t0, t1, t2, t3] = groups.shifted;
    const std::size_t whole = text.size() - rest;
    std::uint32_t bad = 0;
    std::size_t i = 0;
#ifdef BULWARK_BASE64_AVX2
    if (&table == &kDecodeUrl && has_avx2()) {
        bool block_bad = false;
        decode_url_avx2(in, whole, out, block_bad);
        if (block_bad) return false;
        i = whole;
        out += whole / 4 * 3;
    }
#endif
    for (; i < whole; i += 4, out += 3) {
        const std::uint32_t v = t0[in[i]] | t1[in[i + 1]] | t2[in[i + 2]] | t3[in[i + 3]];
        bad |= v;
        out[0] = static_cast<std::uint8_t>(v >> 16);
        out[1] = static_cast<std::uint8_t>(v >> 8);
        out[2] = static_cast<std::uint8_t>(v);
    }
    if (bad & kBad) return false;
    auto at = [&](std::size_t i) { return static_cast<std::int32_t>(table[in[i]]); };
    if (rest == 2) {
        const std::int32_t a = at(whole), b = at(whole + 1);
        if ((a | b) < 0 || (b & 0x0f) != 0) return false;  // bits past the last byte: non-canonical
        out[0] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
    } else if (rest == 3) {
        const std::int32_t a = at(whole), b = at(whole + 1), c = at(whole + 2);
        if ((a | b | c) < 0 || (c & 0x03) != 0) return false;
        out[0] = static_cast<std::uint8_t>((a << 2) | (b >> 4));
        out[1] = static_cast<std::uint8_t>(((b & 0x0f) << 4) | (c >> 2));
    }
    return true;
}

std::optional<Bytes> decode64(std::string_view text, bool url) {
    if (!url) {
        if (text.size() % 4 != 0) return std::nullopt;
        std::size_t padding = 0;
        while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
            ++padding;
        text.remove_suffix(padding);
        if (padding > 0 && text.size() % 4 == 0) return std::nullopt;
    }
    if (text.size() % 4 == 1) return std::nullopt;
    Bytes out(decoded_size(text.size()));
    if (!decode64_into(text, url ? kDecodeUrl : kDecodeStd, url ? kGroupsUrl : kGroupsStd, out.data()))
        return std::nullopt;
    return out;
}

}  // namespace

SecretBytes::SecretBytes(ByteView bytes) : data_(bytes.begin(), bytes.end()) {}
SecretBytes::SecretBytes(const SecretBytes& other) : data_(other.data_) {}
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
    other.wipe();
}
SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
    if (this != &other) {
        wipe();
        data_ = other.data_;
    }
    return *this;
}
SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        data_ = std::move(other.data_);
        other.wipe();
    }
    return *this;
}
SecretBytes::~SecretBytes() { wipe(); }
void SecretBytes::wipe() noexcept {
    crypto::wipe(data_.data(), data_.size());
    data_.clear();
}

Bytes random_bytes(std::size_t n) {
    ensure_sodium();
    Bytes out(n);
    // An empty vector's data() may be null, which randombytes_buf must not be given.
    if (n > 0) randombytes_buf(out.data(), out.size());
    return out;
}

std::string random_token(std::size_t bytes) {
    Bytes raw = random_bytes(bytes);
    std::string token = base64url_encode(raw);
    wipe(raw.data(), raw.size());
    return token;
}

std::uint32_t random_uniform(std::uint32_t upper_bound) {
    ensure_sodium();
    return randombytes_uniform(upper_bound);
}

std::string base64url_encode(ByteView data) { return encode64(data, kB64Url, false); }
std::optional<Bytes> base64url_decode(std::string_view text) { return decode64(text, true); }
Result<std::size_t, Base64Error> base64url_decode_into(std::string_view text,
                                                      std::span<std::uint8_t> out) noexcept {
    if (text.size() % 4 == 1) return Base64Error::malformed;
    const std::size_t size = decoded_size(text.size());
    if (size > out.size()) return Base64Error::no_room;
    if (!decode64_into(text, kDecodeUrl, kGroupsUrl, out.data())) return Base64Error::malformed;
    return size;
}
std::string base64_encode(ByteView data) { return encode64(data, kB64Std, true); }
std::optional<Bytes> base64_decode(std::string_view text) { return decode64(text, false); }

std::string hex_encode(ByteView data) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

std::optional<Bytes> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Bytes out(text.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = nibble(text[2 * i]);
        const int lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::array<std::uint8_t, 32> sha256(ByteView data) {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return out;
}

std::array<std::uint8_t, 32> hmac_sha256(ByteView key, ByteView data) {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
              out.data(), &len))
        throw std::runtime_error("HMAC-SHA256 failed");
    return out;
}

std::array<std::uint8_t, 64> hmac_sha512(ByteView key, ByteView data) {
    std::array<std::uint8_t, 64> out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha512(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
              out.data(), &len))
        throw std::runtime_error("HMAC-SHA512 failed");
    return out;
}

bool equal(ByteView a, ByteView b) noexcept {
    // The length of a MAC or token is public; only the contents must not leak through timing.
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    ensure_sodium();
    // MAC-sized inputs (every HS256/HS512 tag, on every request) take libsodium's fixed-size
    // comparisons, constant-time as sodium_memcmp but vectorised.
    switch (a.size()) {
        case 16: return crypto_verify_16(a.data(), b.data()) == 0;
        case 32: return crypto_verify_32(a.data(), b.data()) == 0;
        case 64: return crypto_verify_64(a.data(), b.data()) == 0;
        default: return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
    }
}

void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0) sodium_memzero(data, size);
}

}  // namespace bulwark::crypto
