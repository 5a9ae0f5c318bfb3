// parse_json: Boost.JSON's basic_parser with a handler that enforces the limits and refuses
// duplicate member names while building the value (a walk after parsing would be too late:
// boost::json::object keeps only the last of two equal keys).
#include <bulwark/form.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>

#include <string>
#include <set>

namespace bulwark::form {
namespace {

namespace json = boost::json;

struct Handler {
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

    explicit Handler(const JsonLimits& l) : limits(l) {}

    const JsonLimits& limits;
    json::value_stack stack;
    // One ordered set of member names per open object (a tree, not a hash: crafted colliding
    // names cannot make it quadratic); arrays push an empty placeholder so the stack of
    // sets mirrors the nesting. counts[i] is the number of members/elements seen at level i.
    std::vector<std::set<std::string, std::less<>>> keys;
    std::vector<std::size_t> counts;
    std::vector<bool> is_object;
    std::string key;
    std::optional<ParseError> failure;

    bool fail(ParseError e, json::error_code& ec) {
        failure = e;
        ec = json::error::extra_data;  // any code: the caller reports `failure`
        return false;
    }
    // element: a value is about to be added to the current container.
    bool element(json::error_code& ec) {
        if (counts.empty()) return true;
        if (++counts.back() > limits.max_elements) return fail(ParseError::too_many_fields, ec);
        return true;
    }
    bool open(bool object, json::error_code& ec) {
        if (!element(ec)) return false;
        if (counts.size() >= limits.max_depth) return fail(ParseError::too_deep, ec);
        counts.push_back(0);
        is_object.push_back(object);
        keys.emplace_back();
        return true;
    }
    void close() {
        counts.pop_back();
        is_object.pop_back();
        keys.pop_back();
    }

    bool on_document_begin(json::error_code&) { stack.reset(); return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code& ec) { return open(true, ec); }
    bool on_object_end(std::size_t n, json::error_code&) { close(); stack.push_object(n); return true; }
    bool on_array_begin(json::error_code& ec) { return open(false, ec); }
    bool on_array_end(std::size_t n, json::error_code&) { close(); stack.push_array(n); return true; }

    bool on_key_part(json::string_view s, std::size_t n, json::error_code& ec) {
        if (n > limits.max_string) return fail(ParseError::key_too_long, ec);
        key.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t n, json::error_code& ec) {
        if (n > limits.max_string) return fail(ParseError::key_too_long, ec);
        key.append(s.data(), s.size());
        // The member count is checked here, where the key of each member arrives.
        if (++counts.back() > limits.max_elements) return fail(ParseError::too_many_fields, ec);
        if (!keys.back().insert(key).second) return fail(ParseError::duplicate_key, ec);
        stack.push_key(key);
        key.clear();
        return true;
    }
    // Values inside an object were counted with their key; only array elements count here.
    bool value_slot(json::error_code& ec) {
        if (!is_object.empty() && is_object.back()) return true;
        return element(ec);
    }
    bool on_string_part(json::string_view s, std::size_t n, json::error_code& ec) {
        if (n > limits.max_string) return fail(ParseError::value_too_long, ec);
        stack.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
        if (n > limits.max_string) return fail(ParseError::value_too_long, ec);
        if (!value_slot(ec)) return false;
        stack.push_string(s);
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
        if (!value_slot(ec)) return false;
        stack.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) {
        if (!value_slot(ec)) return false;
        stack.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view, json::error_code& ec) {
        if (!value_slot(ec)) return false;
        stack.push_double(d);
        return true;
    }
    bool on_bool(bool b, json::error_code& ec) {
        if (!value_slot(ec)) return false;
        stack.push_bool(b);
        return true;
    }
    bool on_null(json::error_code& ec) {
        if (!value_slot(ec)) return false;
        stack.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

Result<json::value, ParseError> parse_json(std::string_view body, const JsonLimits& limits) {
    if (body.size() > limits.max_size) return ParseError::too_large;
    // RFC 8259 §8.1: a JSON text is UTF-8. Checked first so the error says why.
    if (!valid_utf8(body)) return ParseError::invalid_utf8;
    json::parse_options options;
    options.max_depth = limits.max_depth + 1;  // our own check reports too_deep first
    options.allow_comments = false;
    options.allow_trailing_commas = false;
    options.allow_invalid_utf8 = false;
    json::basic_parser<Handler> parser(options, limits);
    json::error_code ec;
    try {
        std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
        if (parser.handler().failure) return *parser.handler().failure;
        if (ec == json::error::syntax || ec == json::error::incomplete) return ParseError::malformed_json;
        if (ec == json::error::too_deep) return ParseError::too_deep;
        if (ec) return ParseError::malformed_json;
        if (used != body.size() || !parser.done()) return ParseError::malformed_json;
        return parser.handler().stack.release();
    } catch (const std::bad_alloc&) {
        return ParseError::too_large;
    }
}

}  // namespace bulwark::form
