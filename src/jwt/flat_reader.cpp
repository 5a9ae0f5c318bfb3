// ObjectReader's fast path: the shape of nearly every token's header and claims, one flat
// compact object (no whitespace between tokens, as every JWT library serializes) whose strings
// are printable ASCII without escapes and whose numbers are integers of at most 18 digits,
// read in one pass without the general parser's event machinery.
//
// It only ever accepts: on anything else (whitespace, an escape, a non-ASCII byte, a nested
// object or array, a float, a duplicate name, too many members, any syntax error) it gives up and
// ObjectReader::read runs the general parser from the start. So every refusal, and its error
// code, is still the general parser's, and what the fast path accepts is a document the
// general parser accepts with the same members (fuzz/jwt/object_reader.cpp checks both
// against the DOM reader).
#include "object_reader.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <iterator>
#include <utility>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace bulwark::jwt {
namespace {

constexpr std::size_t kMaxMembers = 256;  // the general parser's max_object_size
constexpr std::size_t kMaxKey = 256;      // and max_key_size
constexpr int kMaxDigits = 18;            // every 18-digit integer fits an int64

}  // namespace

namespace {

// pack: a name's first 8 bytes as one integer, to compare short names without a memcmp call.
constexpr std::uint64_t pack(std::string_view s) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < s.size() && i < 8; ++i)
        v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return v;
}

}  // namespace

namespace {

// The kept names by a perfect hash: the multiplier sends each name's pack to its own one of 16
// slots (checked below), so a name costs one multiply and one compare instead of a search
// whose branches the CPU cannot predict from key to key.
constexpr std::uint64_t kNameHash = 0xa8c24d4244ef7febu;
constexpr std::uint64_t kNoName = ~std::uint64_t{0};  // a 3..5-byte pack never has the top bits
constexpr std::size_t slot_of(std::uint64_t packed) noexcept {
    return static_cast<std::size_t>((packed * kNameHash) >> 60);
}
struct NameSlot {
    std::uint64_t packed = kNoName;
    std::size_t size = 0;  // "typ\0" packs as "typ" does: the size tells them apart
    Name name = Name::alg;
};
constexpr std::pair<std::string_view, Name> kKeptNames[] = {
    {"alg", Name::alg}, {"typ", Name::typ}, {"kid", Name::kid},   {"crit", Name::crit},
    {"exp", Name::exp}, {"nbf", Name::nbf}, {"iat", Name::iat},   {"iss", Name::iss},
    {"sub", Name::sub}, {"aud", Name::aud}, {"jti", Name::jti},   {"type", Name::type},
    {"fresh", Name::fresh}, {"fam", Name::fam}, {"csrf", Name::csrf},
};
static_assert(std::size(kKeptNames) == kNameCount);
constexpr std::array<NameSlot, 16> make_name_slots() {
    std::array<NameSlot, 16> slots{};
    for (const auto& [text, name] : kKeptNames) slots[slot_of(pack(text))] = {pack(text), text.size(), name};
    return slots;
}
constexpr std::array<NameSlot, 16> kNameSlots = make_name_slots();
constexpr bool every_name_has_its_slot() {
    for (const auto& [text, name] : kKeptNames) {
        if (text.size() < 3 || text.size() > 5) return false;
        const NameSlot& s = kNameSlots[slot_of(pack(text))];
        if (s.packed != pack(text) || s.size != text.size() || s.name != name) return false;
    }
    return true;
}
static_assert(every_name_has_its_slot());

}  // namespace

std::optional<Name> name_of(std::string_view key) noexcept {
    // Every kept name is 3 to 5 bytes, so its pack is the whole name. The pack is put together
    // in registers from whole loads: bytes copied into a stack word and read back as one load
    // stall on store forwarding, which cost more than the rest of this function.
    if (key.size() < 3 || key.size() > 5) return std::nullopt;
    std::uint64_t packed;
    if constexpr (std::endian::native == std::endian::little) {
        const auto byte = [&](std::size_t i) { return std::uint64_t{static_cast<unsigned char>(key[i])}; };
        if (key.size() == 3) {
            std::uint16_t head;
            std::memcpy(&head, key.data(), 2);
            packed = head | byte(2) << 16;
        } else {
            std::uint32_t head;
            std::memcpy(&head, key.data(), 4);
            packed = key.size() == 4 ? head : head | byte(4) << 32;
        }
    } else {
        packed = pack(key);
    }
    const NameSlot& s = kNameSlots[slot_of(packed)];
    if (s.packed != packed || s.size != key.size()) return std::nullopt;
    return s.name;
}

namespace {

// special_mask: for the 8 bytes of w (first byte lowest), a high bit set under each byte that
// is not plain string text (a control byte, a byte above 0x7e, a quote, a backslash). Bytes
// above the first such one may be flagged wrongly (a borrow or carry leaks upwards), but the
// lowest set bit is exact: nothing below the first odd byte is flagged, and it always is.
// That first odd byte is all the scan uses.
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;
constexpr std::uint64_t zero_bytes(std::uint64_t v) noexcept { return (v - kOnes) & ~v & kHighs; }
constexpr std::uint64_t special_mask(std::uint64_t w) noexcept {
    const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    const std::uint64_t above_tilde = ((w + kOnes * (0x7f - 0x7e)) | w) & kHighs;
    return below_space | above_tilde | zero_bytes(w ^ (kOnes * '"')) | zero_bytes(w ^ (kOnes * '\\'));
}
constexpr bool is_special(int b) { return b < 0x20 || b > 0x7e || b == '"' || b == '\\'; }
constexpr int first_flagged(std::uint64_t mask) { return mask == 0 ? 8 : std::countr_zero(mask) / 8; }
constexpr std::uint64_t with_byte(std::uint64_t w, int position, int b) {
    return (w & ~(0xffull << (8 * position))) | (static_cast<std::uint64_t>(b) << (8 * position));
}
// Exhaustive over one odd byte at each position, and over pairs of bytes from a set that
// holds every class boundary, at every two positions.
constexpr bool special_mask_is_exact() {
    for (int position = 0; position < 8; ++position)
        for (int b = 0; b < 256; ++b)
            if (first_flagged(special_mask(with_byte(kOnes * 'a', position, b))) != (is_special(b) ? position : 8))
                return false;
    constexpr int kEdges[] = {0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d,
                              0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 'a'};
    for (int i = 0; i < 8; ++i)
        for (int j = i + 1; j < 8; ++j)
            for (int x : kEdges)
                for (int y : kEdges) {
                    const std::uint64_t w = with_byte(with_byte(kOnes * 'a', i, x), j, y);
                    const int expected = is_special(x) ? i : is_special(y) ? j : 8;
                    if (first_flagged(special_mask(w)) != expected) return false;
                }
    return true;
}
static_assert(special_mask_is_exact());

// eight_digits: all 8 bytes of w are ASCII digits. A byte's high nibble must be 3, and stay 3
// when 6 is added (0x3a..0x3f become 0x40..0x45). A carry out of a byte happens only from a
// byte whose high nibble is not 3, which has already failed the test.
constexpr bool eight_digits(std::uint64_t w) noexcept {
    constexpr std::uint64_t kHigh = 0xf0f0f0f0f0f0f0f0u;
    return ((w & kHigh) | (((w + kOnes * 6) & kHigh) >> 4)) == kOnes * 0x33;
}
// value_of_eight_digits: the number 8 digit bytes spell, the first byte (lowest) the most
// significant: pairs, then groups of four, then the eight, each step one multiply.
constexpr std::uint64_t value_of_eight_digits(std::uint64_t w) noexcept {
    w = ((w & (kOnes * 0x0f)) * (10 * 256 + 1)) >> 8;
    w = ((w & 0x00ff00ff00ff00ffu) * (100 * 65536 + 1)) >> 16;
    return ((w & 0x0000ffff0000ffffu) * (10000 * (std::uint64_t{1} << 32) + 1)) >> 32;
}
constexpr std::uint64_t digits_word(const char (&s)[9]) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return v;
}
static_assert(eight_digits(digits_word("01234567")) && eight_digits(digits_word("99999999")));
static_assert(!eight_digits(digits_word("0123456:")) && !eight_digits(digits_word("/1234567")) &&
              !eight_digits(digits_word("1234567\xff")) && !eight_digits(digits_word("1234,678")));
static_assert(value_of_eight_digits(digits_word("12345678")) == 12345678);
static_assert(value_of_eight_digits(digits_word("00000009")) == 9);
static_assert(value_of_eight_digits(digits_word("99999999")) == 99999999);
static_assert(value_of_eight_digits(digits_word("90000000")) == 90000000);

class Cursor {
public:
    Cursor(const char* begin, const char* end) : p_(begin), end_(end) {}

    bool at_end() const noexcept { return p_ == end_; }
    bool eat(char c) noexcept {
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    bool peek(char c) const noexcept { return p_ != end_ && *p_ == c; }
    // string: a quoted run of printable ASCII, no escapes (those are the general parser's).
    bool string(std::string_view& out) noexcept {
        if (!eat('"')) return false;
        const char* start = p_;
        bool located = false;  // p_ is at the first odd byte; the byte loop decides what it is
#ifdef __SSE2__
        // Sixteen bytes at a time (SSE2 is part of x86-64): a quote, a backslash, a byte below
        // 0x20 or above 0x7e (signed: 0x80..0xff are negative, so below 0x20 too) or 0x7f.
        while (end_ - p_ >= 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
            const __m128i odd = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
            if (const auto mask = static_cast<unsigned>(_mm_movemask_epi8(odd)); mask != 0) {
                p_ += std::countr_zero(mask);
                located = true;
                break;
            }
            p_ += 16;
        }
#endif
        // Eight bytes at a time up to the first odd one (on a little-endian machine, where the
        // first byte in memory is the lowest); the byte loop below decides what it is.
        if constexpr (std::endian::native == std::endian::little) {
            while (!located && end_ - p_ >= 8) {
                std::uint64_t w;
                std::memcpy(&w, p_, 8);
                if (const std::uint64_t mask = special_mask(w); mask != 0) {
                    p_ += first_flagged(mask);
                    break;
                }
                p_ += 8;
            }
        }
        while (p_ != end_) {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                out = std::string_view(start, static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c < 0x20 || c > 0x7e || c == '\\') return false;
            ++p_;
        }
        return false;
    }
    // kept_name: a member name that is one of the kept names, with the colon after it, read
    // whole from one 8-byte load (the opening quote is next): the first quote in the load ends
    // the name, and a name the slot table holds is printable ASCII without escapes, so nothing
    // else needs checking. On any other name, a name not followed at once by the colon, or near
    // the end, nothing is consumed and the caller reads it as a string.
    std::optional<Name> kept_name() noexcept {
        if constexpr (std::endian::native == std::endian::little) {
            if (end_ - p_ < 9 || *p_ != '"') return std::nullopt;
            std::uint64_t w;
            std::memcpy(&w, p_ + 1, 8);
            const std::uint64_t quotes = zero_bytes(w ^ (kOnes * '"'));
            const int size = first_flagged(quotes);  // exact: the lowest flagged byte is right
            if (size < 3 || size > 5) return std::nullopt;
            const std::uint64_t packed = w & ((std::uint64_t{1} << (8 * size)) - 1);
            const NameSlot& s = kNameSlots[slot_of(packed)];
            if (s.packed != packed || s.size != static_cast<std::size_t>(size)) return std::nullopt;
            if (static_cast<char>(w >> (8 * (size + 1))) != ':') return std::nullopt;
            p_ += size + 3;
            return s.name;
        } else {
            return std::nullopt;
        }
    }
    bool word(std::string_view w) noexcept {
        if (static_cast<std::size_t>(end_ - p_) < w.size() || std::memcmp(p_, w.data(), w.size()) != 0)
            return false;
        p_ += w.size();
        return true;
    }
    // integer: -?(0|[1-9][0-9]{0,17}); "-0" and longer numbers go to the general parser. What
    // may follow (a fraction, an exponent, another digit) is refused by the caller, which
    // accepts only a comma or the closing brace next.
    bool integer(std::int64_t& out) noexcept {
        const bool negative = eat('-');
        if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
        if (*p_ == '0') {
            if (negative) return false;
            ++p_;
            out = 0;
            return true;
        }
        std::int64_t v = 0;
        int digits = 0;
        // Eight digits at a time while eight digits follow (a NumericDate has ten), then one
        // at a time; the digit count and its limit are the same either way.
        if constexpr (std::endian::native == std::endian::little) {
            while (end_ - p_ >= 8) {
                std::uint64_t w;
                std::memcpy(&w, p_, 8);
                if (!eight_digits(w)) break;
                if ((digits += 8) > kMaxDigits) return false;
                v = v * 100'000'000 + static_cast<std::int64_t>(value_of_eight_digits(w));
                p_ += 8;
            }
        }
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
            if (++digits > kMaxDigits) return false;
            v = v * 10 + (*p_ - '0');
            ++p_;
        }
        out = negative ? -v : v;
        return true;
    }

private:
    const char* p_;
    const char* end_;
};

}  // namespace

bool ObjectReader::read_flat(std::string_view json, Strings strings) noexcept {
    // Copied, the kept strings outlive the caller's buffer, as the general parser's do.
    if (strings == Strings::copied) std::memcpy(arena_.data(), json.data(), json.size());
    const char* const base = strings == Strings::copied ? arena_.data() : json.data();
    Cursor in(base, base + json.size());
    if (!in.eat('{')) return false;
    std::size_t count = 0;
    Member unkept;  // where the values of names not kept go
    std::uint32_t seen = 0;                        // kept names so far, one bit each
    std::size_t unkept_count = 0;                  // other names so far, in keys_ and heads
    std::array<std::uint64_t, kMaxMembers> heads;  // pack() of each of those
    if (!in.eat('}')) {
        for (;;) {
            if (count >= kMaxMembers) return false;
            // A repeated name is refused by the general parser. A kept name can only repeat a
            // kept name, which one bit per name catches; any other name is compared with the
            // earlier names that were not kept (none, in a usual token).
            auto name = in.kept_name();
            std::string_view key;
            if (!name) {
                if (!in.string(key) || key.size() > kMaxKey || !in.eat(':')) return false;
                name = name_of(key);
            }
            if (name) {
                const std::uint32_t bit = 1u << static_cast<unsigned>(*name);
                if (seen & bit) return false;
                seen |= bit;
            } else {
                const std::uint64_t head = pack(key);
                for (std::size_t i = 0; i < unkept_count; ++i) {
                    const KeyRef& k = keys_[i];
                    if (k.size == key.size() && heads[i] == head &&
                        (key.size() <= 8 ||
                         std::memcmp(base + k.offset + 8, key.data() + 8, key.size() - 8) == 0))
                        return false;
                }
                heads[unkept_count] = head;
                keys_[unkept_count++] = {static_cast<std::uint16_t>(key.data() - base),
                                         static_cast<std::uint16_t>(key.size())};
            }
            ++count;
            // Written in place: a whole Member built on the stack and copied over stalls on
            // store forwarding, which cost more than the rest of the parse.
            Member& m = name ? members_.m[static_cast<std::size_t>(*name)] : unkept;
            if (in.peek('"')) {
                m.kind = Kind::string;
                if (!in.string(m.text)) return false;
            } else if (in.word("true")) {
                m.kind = Kind::boolean;
                m.b = true;
            } else if (in.word("false")) {
                m.kind = Kind::boolean;
                m.b = false;
            } else if (in.word("null")) {
                m.kind = Kind::null;
            } else {
                m.kind = Kind::int64;
                if (!in.integer(m.i)) return false;
            }
            if (in.eat(',')) {
                    continue;
            }
            if (in.eat('}')) break;
            return false;
        }
    }
    if (!in.at_end()) return false;
    top_level_ = count;
    return true;
}

}  // namespace bulwark::jwt
