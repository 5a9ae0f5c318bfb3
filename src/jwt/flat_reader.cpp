// ObjectReader's fast path: the shape of nearly every token's header and claims, one flat
// object whose strings are printable ASCII without escapes and whose numbers are integers of
// at most 18 digits, read in one pass without the general parser's event machinery.
//
// It only ever accepts: on anything else (an escape, a non-ASCII byte, a nested object or
// array, a float, a duplicate name, too many members, any syntax error) it gives up and
// ObjectReader::read runs the general parser from the start. So every refusal, and its error
// code, is still the general parser's, and what the fast path accepts is a document the
// general parser accepts with the same members (fuzz/jwt/object_reader.cpp checks both
// against the DOM reader).
#include "object_reader.hpp"

#include <cstring>

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

std::optional<Name> name_of(std::string_view key) noexcept {
    if (key.size() < 3 || key.size() > 5) return std::nullopt;
    switch (pack(key)) {  // every kept name is 3 to 5 bytes, so the pack is the whole name
        case pack("alg"): return Name::alg;
        case pack("typ"): return Name::typ;
        case pack("kid"): return Name::kid;
        case pack("crit"): return Name::crit;
        case pack("exp"): return Name::exp;
        case pack("nbf"): return Name::nbf;
        case pack("iat"): return Name::iat;
        case pack("iss"): return Name::iss;
        case pack("sub"): return Name::sub;
        case pack("aud"): return Name::aud;
        case pack("jti"): return Name::jti;
        case pack("type"): return Name::type;
        case pack("fresh"): return Name::fresh;
        case pack("fam"): return Name::fam;
        case pack("csrf"): return Name::csrf;
        default: return std::nullopt;
    }
}

namespace {

// has_special: whether any byte of w is not plain string text (a control byte, a byte above
// 0x7e, a quote or a backslash). Exact for "none" (the word tricks have no false negatives),
// which is all the fast scan relies on.
constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;
constexpr bool has_zero_byte(std::uint64_t v) noexcept { return ((v - kOnes) & ~v & kHighs) != 0; }
constexpr bool has_special(std::uint64_t w) noexcept {
    const bool below_space = ((w - kOnes * 0x20) & ~w & kHighs) != 0;
    const bool above_tilde = (((w + kOnes * (127 - 0x7e)) | w) & kHighs) != 0;
    return below_space || above_tilde || has_zero_byte(w ^ (kOnes * '"')) ||
           has_zero_byte(w ^ (kOnes * '\\'));
}
// Exhaustive over one odd byte at each position; with several, the lowest is still found,
// because the borrows and carries that could hide a byte come only from bytes below it.
constexpr bool has_special_is_exact() {
    for (int position = 0; position < 8; ++position) {
        for (int b = 0; b < 256; ++b) {
            const std::uint64_t w = (kOnes * 'a' & ~(0xffull << (8 * position))) |
                                    (static_cast<std::uint64_t>(b) << (8 * position));
            const bool special = b < 0x20 || b > 0x7e || b == '"' || b == '\\';
            if (has_special(w) != special) return false;
        }
    }
    return true;
}
static_assert(has_special_is_exact());

class Cursor {
public:
    Cursor(const char* begin, const char* end) : p_(begin), end_(end) {}

    bool at_end() const noexcept { return p_ == end_; }
    void skip_space() noexcept {  // RFC 8259 §2: space, tab, line feed, carriage return
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }
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
        // Eight plain bytes at a time; the byte loop below decides wherever this stops.
        while (end_ - p_ >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p_, 8);
            if (has_special(w)) break;
            p_ += 8;
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

bool ObjectReader::read_flat(std::string_view json) noexcept {
    // The kept strings must outlive the caller's buffer, as the general parser's do.
    std::memcpy(arena_.data(), json.data(), json.size());
    const char* const base = arena_.data();
    Cursor in(base, base + json.size());
    in.skip_space();
    if (!in.eat('{')) return false;
    in.skip_space();
    std::size_t count = 0;
    Member unkept;  // where the values of names not kept go
    std::array<std::uint64_t, kMaxMembers> heads;  // pack() of each name so far
    if (!in.eat('}')) {
        for (;;) {
            std::string_view key;
            if (!in.string(key) || key.size() > kMaxKey || count >= kMaxMembers) return false;
            const auto offset = static_cast<std::uint16_t>(key.data() - base);
            const auto size = static_cast<std::uint16_t>(key.size());
            const std::uint64_t head = pack(key);
            for (std::size_t i = 0; i < count; ++i) {  // a repeat: the general parser names it
                if (keys_[i].size == size && heads[i] == head &&
                    (size <= 8 || std::memcmp(base + keys_[i].offset + 8, key.data() + 8, size - 8u) == 0))
                    return false;
            }
            heads[count] = head;
            keys_[count++] = {offset, size};
            in.skip_space();
            if (!in.eat(':')) return false;
            in.skip_space();
            // Written in place: a whole Member built on the stack and copied over stalls on
            // store forwarding, which cost more than the rest of the parse.
            const auto name = name_of(key);
            Member& m = name ? members_[static_cast<std::size_t>(*name)] : unkept;
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
            in.skip_space();
            if (in.eat(',')) {
                in.skip_space();
                continue;
            }
            if (in.eat('}')) break;
            return false;
        }
    }
    in.skip_space();
    if (!in.at_end()) return false;
    top_level_ = count;
    return true;
}

}  // namespace bulwark::jwt
