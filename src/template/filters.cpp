// filters.cpp: Jinja's common filters. None of them produces SafeHtml from a string: `safe`
// only keeps a SafeHtml safe, and `escape` returns the text unchanged because the
// contextual escaper escapes every output for where it lands (escaping here would escape
// twice, Go drops such escapers for the same reason).
#include "escape.hpp"
#include "filters.hpp"

#include <algorithm>
#include <cmath>

namespace bulwark::tmpl::detail {
namespace {

constexpr std::string_view kFilters[] = {"escape", "e", "safe", "striptags", "length", "count",
                                         "default", "d", "upper", "lower", "truncate", "urlencode",
                                         "tojson", "join", "trim", "first", "last", "int", "string",
                                         "replace", "capitalize", "abs", "items"};

std::string_view text_of(const Value& v, std::string& tmp) {
    if (v.is_string()) return v.as_string();
    if (v.is_safe_html()) return v.as_safe_html().str();
    tmp = v.to_string();
    return tmp;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    return n;
}

// utf8_prefix returns the byte length of the first `chars` code points.
std::size_t utf8_prefix(std::string_view s, std::size_t chars) {
    std::size_t i = 0;
    std::size_t seen = 0;
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

bool is_known_filter(std::string_view name) {
    return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

bool is_known_test(std::string_view name) {
    for (std::string_view t : {"defined", "undefined", "none", "number", "string", "mapping",
                               "iterable", "even", "odd"}) {
        if (name == t) return true;
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

bool apply_test(std::string_view name, const Value& v, bool defined) {
    if (name == "defined") return defined;
    if (name == "undefined") return !defined;
    if (name == "none") return v.is_null();
    if (name == "number") return v.is_int() || v.is_double();
    if (name == "string") return v.is_string() || v.is_safe_html();
    if (name == "mapping") return v.is_map();
    if (name == "iterable") return v.is_list() || v.is_map() || v.is_string();
    if (name == "even") return v.is_int() && v.as_int() % 2 == 0;
    if (name == "odd") return v.is_int() && v.as_int() % 2 != 0;
    return false;
}

bool apply_filter(std::string_view name, const Value& v, const std::vector<Value>& args, Value& out,
                  std::string& error) {
    std::string tmp;
    auto arg = [&](std::size_t i) -> const Value* { return i < args.size() ? &args[i] : nullptr; };
    if (name == "escape" || name == "e" || name == "safe") {
        out = v;  // see the file comment: escaping happens by context, trust only by type
    } else if (name == "striptags") {
        out = Value(striptags(text_of(v, tmp)));
    } else if (name == "length" || name == "count") {
        std::int64_t n = v.is_list() ? static_cast<std::int64_t>(v.as_list().size())
                         : v.is_map() ? static_cast<std::int64_t>(v.as_map().size())
                         : v.is_null() ? 0 : static_cast<std::int64_t>(utf8_length(text_of(v, tmp)));
        out = Value(n);
    } else if (name == "default" || name == "d") {
        bool boolean = arg(1) && arg(1)->truthy();
        bool use_default = boolean ? !v.truthy() : v.is_null();
        out = use_default ? (arg(0) ? *arg(0) : Value(std::string())) : v;
    } else if (name == "upper" || name == "lower" || name == "capitalize") {
        std::string s(text_of(v, tmp));
        for (std::size_t i = 0; i < s.size(); ++i) {
            char& ch = s[i];
            bool up = name == "upper" || (name == "capitalize" && i == 0);
            if (up && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
            if (!up && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
        }
        out = Value(std::move(s));
    } else if (name == "truncate") {
        std::int64_t length = arg(0) && arg(0)->is_int() ? arg(0)->as_int() : 255;
        if (length < 0) length = 0;
        std::string end = arg(2) && arg(2)->is_string() ? arg(2)->as_string() : "...";
        std::string_view s = text_of(v, tmp);
        auto limit = static_cast<std::size_t>(length);
        if (utf8_length(s) <= limit + 5) {  // Jinja's default leeway of 5
            out = Value(std::string(s));
        } else {
            std::size_t keep = limit > utf8_length(end) ? limit - utf8_length(end) : 0;
            std::string cut(s.substr(0, utf8_prefix(s, keep)));
            bool killwords = arg(1) && arg(1)->truthy();
            if (!killwords) {
                auto sp = cut.rfind(' ');
                if (sp != std::string::npos) cut.resize(sp);
            }
            out = Value(cut + end);
        }
    } else if (name == "urlencode") {
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
    } else if (name == "tojson") {
        std::string json;
        write_json(json, v);
        out = Value(std::move(json));
    } else if (name == "join") {
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
    } else if (name == "trim") {
        std::string_view s = text_of(v, tmp);
        auto b = s.find_first_not_of(" \t\r\n");
        auto e = s.find_last_not_of(" \t\r\n");
        out = Value(b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1)));
    } else if (name == "first" || name == "last") {
        out = Value();
        if (v.is_list() && !v.as_list().empty()) out = name == "first" ? v.as_list().front() : v.as_list().back();
    } else if (name == "int") {
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
    } else if (name == "string") {
        out = Value(v.is_safe_html() ? v.as_safe_html().str() : v.to_string());
    } else if (name == "replace") {
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
    } else if (name == "abs") {
        out = v.is_int() ? Value(v.as_int() < 0 && v.as_int() != INT64_MIN ? -v.as_int() : v.as_int())
              : v.is_double() ? Value(std::fabs(v.as_double())) : v;
    } else if (name == "items") {
        List pairs;
        if (v.is_map()) {
            for (const auto& [k, item] : v.as_map()) pairs.push_back(Value(List{Value(k), item}));
        }
        out = Value(std::move(pairs));
    } else {
        error = "unknown filter";
        return false;
    }
    return true;
}

}  // namespace bulwark::tmpl::detail
