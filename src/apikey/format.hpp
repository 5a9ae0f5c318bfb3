// Private: key format helpers shared by the registry and the tests of the format.
#pragma once

#include <bulwark/apikey.hpp>

namespace bulwark::apikey {

std::uint32_t crc32(std::string_view data) noexcept;
std::string checksum(std::string_view body);
std::string random_base62(std::size_t n);
std::string make_key(std::string_view id);

}  // namespace bulwark::apikey
