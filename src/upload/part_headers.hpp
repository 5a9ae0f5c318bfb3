// Private: Content-Type boundary and part header parsing, shared by the decoder and its tests.
#pragma once

#include <bulwark/upload.hpp>

namespace bulwark::upload::detail {

// add_header_line parses one `Name: value` line of a part into `part.headers`.
Result<void, Error> add_header_line(std::string_view line, PartHeaders& part);
// finish_headers reads Content-Disposition and Content-Type once all lines are in.
Result<void, Error> finish_headers(PartHeaders& part);
// utf8_ok: well-formed UTF-8 (RFC 3629).
bool utf8_ok(std::string_view s) noexcept;

}  // namespace bulwark::upload::detail
