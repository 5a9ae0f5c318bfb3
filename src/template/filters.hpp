// filters.hpp: the built-in filters ({{ x|upper }}) and tests ({% if x is defined %}).
#pragma once

#include <bulwark/template.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::tmpl::detail {

// Filter and Test: the built-ins, resolved from their names when a template loads so a
// render dispatches on a number, not on string compares.
enum class Filter : std::uint8_t {
    escape, safe, striptags, length, default_, upper, lower, capitalize, truncate, urlencode,
    tojson, join, trim, first, last, int_, string, replace, abs, items
};
enum class Test : std::uint8_t { defined, undefined, none, number, string, mapping, iterable, even, odd };

// find_filter / find_test resolve a name (aliases such as `e`, `count`, `d` included);
// false when there is no such built-in.
bool find_filter(std::string_view name, Filter& out);
bool find_test(std::string_view name, Test& out);
// apply_filter returns false with `error` set on a bad argument. No filter reads more than
// kMaxFilterArgs arguments.
inline constexpr std::size_t kMaxFilterArgs = 3;
bool apply_filter(Filter filter, const Value& subject, std::span<const Value* const> args, Value& out,
                  std::string& error);
bool apply_test(Test test, const Value& subject, bool defined);
bool values_equal(const Value& a, const Value& b);
// map_find is Map::find with the key comparison inlined (see value.cpp); nullptr if absent.
const Value* map_find(const Map& map, std::string_view key) noexcept;

}  // namespace bulwark::tmpl::detail
