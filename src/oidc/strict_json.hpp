// strict_json.hpp (private): the JSON reader for the provider's documents.
#pragma once

#include <bulwark/oidc.hpp>

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::oidc::detail {

// parse_object: strict JSON (no comments, valid UTF-8, depth 16, repeated names refused:
// two parsers keeping different copies of "issuer" would disagree on who the provider is),
// at most kMaxDocumentSize bytes, and an object at the top.
Result<boost::json::object, Error> parse_object(std::string_view untrusted_json);

// string_member: the member as a string; nullopt when absent; malformed when not a string.
Result<std::optional<std::string>, Error> string_member(const boost::json::object& o, std::string_view name);

// is_loopback_host / check_url: an absolute https URL without fragment or user info (or http
// to a loopback host when allowed).
bool is_loopback_host(std::string_view host) noexcept;
Result<void, Error> check_url(std::string_view url, InsecureHttp insecure);

}  // namespace bulwark::oidc::detail
