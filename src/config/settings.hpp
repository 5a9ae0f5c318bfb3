// Private: parsers for single settings. Each throws ConfigError naming the variable.
#pragma once

#include <bulwark/config.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::detail {

std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t max);
// split_list splits on commas and whitespace, dropping empty items.
std::vector<std::string> split_list(std::string_view text);

Environment parse_environment(std::string_view v);
std::uint16_t parse_port(std::string_view v);
std::string parse_host(std::string_view v);
std::size_t parse_max_content_length(std::string_view v);
void check_url_scheme(std::string_view name, std::string_view v,
                      std::initializer_list<std::string_view> schemes);
bool is_origin(std::string_view o);
std::vector<std::string> parse_origins(std::string_view name, std::string_view v);
ProxyHeaders parse_proxy_headers(std::string_view v);
std::string parse_rate_limit(std::string_view name, std::string_view v);
std::string parse_cookie_name(std::string_view v);
std::string parse_log_level(std::string_view v);
std::string parse_mail_from(std::string_view v);

// require_strong_secret throws when check_secret_strength refuses `secret` (message names
// the variable and says how to make a key; never the value).
void require_strong_secret(std::string_view name, std::string_view secret);
[[noreturn]] void fail_missing_secret();

}  // namespace bulwark::config::detail
