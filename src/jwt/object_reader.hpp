// Private: a strict JSON object reader that builds no DOM. It runs the same Boost.JSON parser
// with the same limits and the same duplicate-name refusal as parse_json_object, so both accept
// exactly the same documents (fuzz/jwt/object_reader.cpp checks this), but keeps only the
// top-level members the verifier looks at: the JOSE header's alg/typ/kid/crit and the
// registered claims. Nothing is allocated; the whole state lives in the reader (about 20 KiB,
// on the caller's stack). A flat object of plain strings and small integers, the shape of
// nearly every token, is read by a one-pass fast path that gives up on anything else.
#pragma once

#include <bulwark/jwt.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace bulwark::jwt {

// Name: the top-level members the reader keeps.
enum class Name : std::uint8_t {
    alg, typ, kid, crit,                               // JOSE header
    exp, nbf, iat, iss, sub, aud, jti,                 // RFC 7519 registered claims
    type, fresh, fam, csrf,                            // the Manager's own claims
    count_
};
inline constexpr std::size_t kNameCount = static_cast<std::size_t>(Name::count_);

// name_of: the kept member a top-level name is, if any.
std::optional<Name> name_of(std::string_view name) noexcept;

enum class Kind : std::uint8_t { absent, string, int64, uint64, number, boolean, null, object, array };

// Member: one kept member. text is the decoded string (valid while the reader lives). For aud
// as an array, array_element(first .. first + count) are its elements when all_strings.
struct Member {
    Kind kind = Kind::absent;
    std::string_view text;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    bool b = false;
    bool all_strings = true;  // arrays only
    std::uint16_t first = 0;  // arrays only: index of the first element in strings()
    std::uint16_t count = 0;  // arrays only: elements kept
};

class ObjectReader {
public:
    // Strings: where the kept strings live. copied: in the reader (valid while it lives);
    // borrowed: in untrusted_json itself when the fast path reads it (so valid while both the
    // reader and the caller's buffer live), saving a copy of a claim set on every verify.
    enum class Strings : std::uint8_t { copied, borrowed };

    // read parses untrusted_json (at most kMaxTokenSize bytes); errors as parse_json_object:
    // too_large, duplicate_name (at any depth), malformed (syntax, limits, not an object).
    Result<void, JwtError> read(std::string_view untrusted_json, Strings strings = Strings::copied) noexcept;

    const Member& operator[](Name n) const noexcept { return members_.m[static_cast<std::size_t>(n)]; }
    // top_level_count: how many members the root object has, kept or not.
    std::size_t top_level_count() const noexcept { return top_level_; }
    std::string_view array_element(std::size_t index) const noexcept {
        return {arena_.data() + elements_[index].offset, elements_[index].size};
    }

    // The parser's event handler writes here; not for other callers.
    struct State;

private:
    friend struct State;
    // read_flat: the fast path for the usual claim set (flat_reader.cpp). True when it read
    // the whole document; false when it gave up, and read() then runs the general parser.
    bool read_flat(std::string_view json, Strings strings) noexcept;

    static constexpr std::size_t kArena = kMaxTokenSize;
    static constexpr std::size_t kMaxKeys = kMaxTokenSize / 4;  // `"":0,` is the shortest member
    static constexpr std::size_t kMaxElements = 256;            // aud only; the parser's array limit
    struct KeyRef {
        std::uint16_t offset, size;
    };
    // Members: the kept members, started (every one absent) by each read(), not by the
    // constructor: a reader is made on the stack of every verify, and zeroing it there cost
    // a tenth of the claims read. operator[] is for after a read().
    union Members {
        Members() noexcept {}
        std::array<Member, kNameCount> m;
    };
    Members members_;
    std::size_t top_level_ = 0;
    std::array<char, kArena> arena_;
    std::array<KeyRef, kMaxKeys> keys_;
    std::array<KeyRef, kMaxElements> elements_;  // offsets, not views: nothing to zero per read
};

}  // namespace bulwark::jwt
