// filters.hpp: the built-in filters ({{ x|upper }}) and tests ({% if x is defined %}).
#pragma once

#include <bulwark/template.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::tmpl::detail {

bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);
// apply_filter returns false with `error` set on a bad argument.
bool apply_filter(std::string_view name, const Value& subject, const std::vector<Value>& args,
                  Value& out, std::string& error);
bool apply_test(std::string_view name, const Value& subject, bool defined);
bool values_equal(const Value& a, const Value& b);

}  // namespace bulwark::tmpl::detail
