// filters.cpp: Jinja's common filters. None of them produces SafeHtml from a string: `safe`
// only keeps a SafeHtml safe, and `escape` returns the text unchanged because the
// contextual escaper escapes every output for where it lands (escaping here would escape
// twice, Go drops such escapers for the same reason).
#include "escape.hpp"
#include "filters.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace bulwark::tmpl::detail {
namespace {

constexpr std::pair<std::string_view, Filter> kFilters[] = {
    {"escape", Filter::escape}, {"e", Filter::escape}, {"safe", Filter::safe},
    {"striptags", Filter::striptags}, {"length", Filter::length}, {"count", Filter::length},
    {"default", Filter::default_}, {"d", Filter::default_}, {"upper", Filter::upper},
    {"lower", Filter::lower}, {"truncate", Filter::truncate}, {"urlencode", Filter::urlencode},
    {"tojson", Filter::tojson}, {"join", Filter::join}, {"trim", Filter::trim},
    {"first", Filter::first}, {"last", Filter::last}, {"int", Filter::int_},
    {"string", Filter::string}, {"replace", Filter::replace}, {"capitalize", Filter::capitalize},
    {"abs", Filter::abs}, {"items", Filter::items}};

constexpr std::pair<std::string_view, Test> kTests[] = {
    {"defined", Test::defined}, {"undefined", Test::undefined}, {"none", Test::none},
    {"number", Test::number}, {"string", Test::string}, {"mapping", Test::mapping},
    {"iterable", Test::iterable}, {"even", Test::even}, {"odd", Test::odd}};

std::string_view text_of(const Value& v, std::string& tmp) {
    if (v.is_string()) return v.as_string();
    if (v.is_safe_html()) return v.as_safe_html().str();
    tmp = v.to_string();
    return tmp;
}

// is_ascii: eight bytes per step. Text is mostly ASCII, where a byte is a code point and
// the UTF-8 loops below can be skipped.
bool is_ascii(std::string_view s) {
    std::uint64_t acc = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t word;
        std::memcpy(&word, s.data() + i, 8);
        acc |= word;
    }
    for (; i < s.size(); ++i) acc |= static_cast<unsigned char>(s[i]);
    return (acc & 0x8080808080808080ULL) == 0;
}

std::size_t utf8_length(std::string_view s) {
    if (is_ascii(s)) return s.size();
    std::size_t n = 0;
    for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return n;
}

// utf8_prefix returns the byte length of the first `chars` code points (and any stray
// continuation bytes right after them).
std::size_t utf8_prefix(std::string_view s, std::size_t chars) {
    // When the first `chars` bytes are ASCII, each is a code point: the loop below would
    // reach i == seen == chars.
    std::size_t n = chars < s.size() ? chars : s.size();
    std::size_t i = is_ascii(s.substr(0, n)) ? n : 0;
    std::size_t seen = i;
    for (; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (seen == chars) break;
            ++seen;
        }
    }
    return i;
}

std::string striptags(std::string_view s) {
    std::string out;
    bool in_tag = false;
    bool space = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char ch = s[i];
        if (in_tag) {
            if (ch == '>') in_tag = false;
            continue;
        }
        if (ch == '<') {
            in_tag = true;
            space = true;
            continue;
        }
        if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += ch;
    }
    return out;
}

}  // namespace

bool find_filter(std::string_view name, Filter& out) {
    for (auto [n, f] : kFilters) {
        if (n == name) {
            out = f;
            return true;
        }
    }
    return false;
}

bool find_test(std::string_view name, Test& out) {
    for (auto [n, t] : kTests) {
        if (n == name) {
            out = t;
            return true;
        }
    }
    return false;
}

bool values_equal(const Value& a, const Value& b) {
    if ((a.is_int() || a.is_double()) && (b.is_int() || b.is_double())) {
        if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
        double x = a.is_int() ? static_cast<double>(a.as_int()) : a.as_double();
        double y = b.is_int() ? static_cast<double>(b.as_int()) : b.as_double();
        return x == y;
    }
    if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
    if (a.is_bool() || b.is_bool()) return a.is_bool() && b.is_bool() && a.as_bool() == b.as_bool();
    if ((a.is_string() || a.is_safe_html()) && (b.is_string() || b.is_safe_html())) {
        std::string t1, t2;
        return text_of(a, t1) == text_of(b, t2);
    }
    if (a.is_list() && b.is_list()) {
        const List& x = a.as_list();
        const List& y = b.as_list();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!values_equal(x[i], y[i])) return false;
        }
        return true;
    }
    if (a.is_map() && b.is_map()) {
        const Map& x = a.as_map();
        const Map& y = b.as_map();
        if (x.size() != y.size()) return false;
        for (auto ix = x.begin(), iy = y.begin(); ix != x.end(); ++ix, ++iy) {
            if (ix->first != iy->first || !values_equal(ix->second, iy->second)) return false;
        }
        return true;
    }
    return false;
}

bool apply_test(Test test, const Value& v, bool defined) {
    switch (test) {
        case Test::defined: return defined;
        case Test::undefined: return !defined;
        case Test::none: return v.is_null();
        case Test::number: return v.is_int() || v.is_double();
        case Test::string: return v.is_string() || v.is_safe_html();
        case Test::mapping: return v.is_map();
        case Test::iterable: return v.is_list() || v.is_map() || v.is_string();
        case Test::even: return v.is_int() && v.as_int() % 2 == 0;
        case Test::odd: return v.is_int() && v.as_int() % 2 != 0;
    }
    return false;
}

// truncate is Jinja's: keep `length` characters (plus a leeway of 5) or cut to
// `length - len(end)` at the last space (unless killwords) and append `end`.
Value truncate(std::string_view s, std::span<const Value* const> args) {
    auto arg = [&](std::size_t i) -> const Value* { return i < args.size() ? args[i] : nullptr; };
    std::int64_t length = arg(0) && arg(0)->is_int() ? arg(0)->as_int() : 255;
    if (length < 0) length = 0;
    std::string_view end = arg(2) && arg(2)->is_string() ? std::string_view(arg(2)->as_string()) : "...";
    auto limit = static_cast<std::size_t>(length);
    if (utf8_length(s) <= limit + 5) return Value(s);  // Jinja's default leeway of 5
    std::size_t keep = limit > utf8_length(end) ? limit - utf8_length(end) : 0;
    std::string_view cut = s.substr(0, utf8_prefix(s, keep));
    bool killwords = arg(1) && arg(1)->truthy();
    if (!killwords) {
        auto sp = cut.rfind(' ');
        if (sp != std::string_view::npos) cut = cut.substr(0, sp);
    }
    std::string out;
    out.reserve(cut.size() + end.size());
    out.append(cut).append(end);
    return Value(std::move(out));
}

bool apply_filter(Filter filter, const Value& v, std::span<const Value* const> args, Value& out,
                  std::string& error) {
    std::string tmp;
    auto arg = [&](std::size_t i) -> const Value* { return i < args.size() ? args[i] : nullptr; };
    switch (filter) {
        case Filter::escape:
        case Filter::safe:
            out = v;  // see the file comment: escaping happens by context, trust only by type
            return true;
        case Filter::striptags: out = Value(striptags(text_of(v, tmp))); return true;
        case Filter::length: {
            std::int64_t n = v.is_list() ? static_cast<std::int64_t>(v.as_list().size())
                             : v.is_map() ? static_cast<std::int64_t>(v.as_map().size())
                             : v.is_null() ? 0 : static_cast<std::int64_t>(utf8_length(text_of(v, tmp)));
            out = Value(n);
            return true;
        }
        case Filter::default_: {
            bool boolean = arg(1) && arg(1)->truthy();
            bool use_default = boolean ? !v.truthy() : v.is_null();
            out = use_default ? (arg(0) ? *arg(0) : Value(std::string())) : v;
            return true;
        }
        case Filter::upper:
        case Filter::lower:
        case Filter::capitalize: {
            std::string s(text_of(v, tmp));
            for (std::size_t i = 0; i < s.size(); ++i) {
                char& ch = s[i];
                bool up = filter == Filter::upper || (filter == Filter::capitalize && i == 0);
                if (up && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
                if (!up && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
            }
            out = Value(std::move(s));
            return true;
        }
        case Filter::truncate: out = truncate(text_of(v, tmp), args); return true;
        case Filter::urlencode:
            if (v.is_map()) {
                std::string q;
                for (const auto& [k, item] : v.as_map()) {
                    if (!q.empty()) q += '&';
                    q += url_encode(k) + "=" + url_encode(item.to_string());
                }
                out = Value(std::move(q));
            } else {
                out = Value(url_encode(text_of(v, tmp)));
            }
            return true;
        case Filter::tojson: {
            std::string json;
            write_json(json, v);
            out = Value(std::move(json));
            return true;
        }
        case Filter::join: {
            std::string sep = arg(0) ? arg(0)->to_string() : "";
            std::string joined;
            if (v.is_list()) {
                bool first = true;
                for (const auto& item : v.as_list()) {
                    if (!first) joined += sep;
                    first = false;
                    item.append_to(joined);
                }
            }
            out = Value(std::move(joined));
            return true;
        }
        case Filter::trim: {
            std::string_view s = text_of(v, tmp);
            auto b = s.find_first_not_of(" \t\r\n");
            auto e = s.find_last_not_of(" \t\r\n");
            out = Value(b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1)));
            return true;
        }
        case Filter::first:
        case Filter::last:
            out = Value();
            if (v.is_list() && !v.as_list().empty())
                out = filter == Filter::first ? v.as_list().front() : v.as_list().back();
            return true;
        case Filter::int_:
            if (v.is_int()) out = v;
            else if (v.is_double() && std::isfinite(v.as_double()) && std::fabs(v.as_double()) < 9e18)
                out = Value(static_cast<std::int64_t>(v.as_double()));
            else if (v.is_string()) {
                char* end = nullptr;
                long long n = std::strtoll(v.as_string().c_str(), &end, 10);
                out = Value(static_cast<std::int64_t>(end && *end == '\0' ? n : 0));
            } else {
                out = Value(0);
            }
            return true;
        case Filter::string: out = Value(v.is_safe_html() ? v.as_safe_html().str() : v.to_string()); return true;
        case Filter::replace: {
            if (!arg(1)) {
                error = "replace needs two arguments";
                return false;
            }
            std::string s(text_of(v, tmp));
            std::string from = arg(0)->to_string();
            std::string to = arg(1)->to_string();
            if (!from.empty()) {
                std::string result;
                std::size_t pos = 0;
                for (std::size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size())
                    result += s.substr(pos, hit - pos) + to;
                result += s.substr(pos);
                s = std::move(result);
            }
            out = Value(std::move(s));
            return true;
        }
        case Filter::abs:
            out = v.is_int() ? Value(v.as_int() < 0 && v.as_int() != INT64_MIN ? -v.as_int() : v.as_int())
                  : v.is_double() ? Value(std::fabs(v.as_double())) : v;
            return true;
        case Filter::items: {
            List pairs;
            if (v.is_map()) {
                for (const auto& [k, item] : v.as_map()) pairs.push_back(Value(List{Value(k), item}));
            }
            out = Value(std::move(pairs));
            return true;
        }
    }
    error = "unknown filter";
    return false;
}

}  // namespace bulwark::tmpl::detail
