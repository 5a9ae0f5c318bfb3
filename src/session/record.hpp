// record.hpp: the JSON a session keeps in the store or in a signed cookie. Private.
//
// {"v":1,"c":created_ms,"s":last_seen_ms,"h":"handle","u":"user","e":epoch,
//  "a":"address","ua":"agent","d":{...data...}}
// The decoder treats the text as untrusted (a shared Redis is writable by others, a signed
// cookie by an old key): bounded size and depth, every field type-checked.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::session::detail {

inline constexpr std::size_t kMaxHandle = 64;
inline constexpr std::size_t kMaxUserId = 256;
inline constexpr std::size_t kMaxAddress = 64;
inline constexpr std::size_t kMaxUserAgent = 256;
inline constexpr std::size_t kRecordOverhead = 2048;  // everything but the data
inline constexpr int kMaxDepth = 32;

struct Record {
    std::int64_t created_ms = 0;
    std::int64_t last_seen_ms = 0;
    std::string handle;
    std::string user;
    std::int64_t epoch = 0;
    std::string address;
    std::string user_agent;
    boost::json::object data;
};

std::string encode(const Record& r);
// decode refuses text longer than max_data_bytes + kRecordOverhead, JSON nested deeper than
// kMaxDepth, and any field of the wrong type or size.
std::optional<Record> decode(std::string_view text, std::size_t max_data_bytes);

// data_size: bytes of the serialized data object (what max_data_bytes bounds).
std::size_t data_size(const boost::json::object& data);

std::int64_t to_ms(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_ms(std::int64_t ms);

// clip keeps at most n bytes, cut on a UTF-8 boundary and with control characters replaced,
// for the address and user agent shown on the sessions page.
std::string clip(std::string_view text, std::size_t n);

}  // namespace bulwark::session::detail
