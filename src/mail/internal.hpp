// internal.hpp: helpers shared by the mail sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::mail::detail {

// utf8_next reads one well-formed UTF-8 sequence at s[i] (no overlong forms, surrogates or
// values above U+10FFFF); returns its length, 0 when the bytes are not one.
std::size_t utf8_next(std::string_view s, std::size_t i, std::uint32_t& cp) noexcept;
bool valid_utf8(std::string_view s) noexcept;
bool is_ascii(std::string_view s) noexcept;

// quoted_printable encodes a UTF-8 body (RFC 2045 §6.7) with CRLF line ends, lines <= 76,
// trailing white space and a leading '.' encoded.
std::string quoted_printable(std::string_view body);
// encoded_words renders UTF-8 text as RFC 2047 base64 encoded-words of <= 75 characters,
// never splitting a character, folded with CRLF SP.
std::string encoded_words(std::string_view text);
// rfc5322_date: "Thu, 02 Jan 2025 03:04:05 +0000".
std::string rfc5322_date(std::int64_t unix_seconds);

}  // namespace bulwark::mail::detail
