// Strict JSON for JOSE headers and claim sets. Boost.JSON's ordinary parse keeps the last of
// two members with the same name; other parsers keep the first, so a token with
// {"sub":"alice","sub":"admin"} could mean different things to two services reading it
// (RFC 7515 §5.2 and RFC 8725 §3.4 ask for rejection). This handler builds the value itself
// and stops at the first repeated name.
#include <bulwark/jwt.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace bulwark::jwt {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxDepth = 16;
constexpr std::size_t kMaxJson = kMaxTokenSize;

class BuildHandler {
public:
    static constexpr std::size_t max_object_size = 256;
    static constexpr std::size_t max_array_size = 256;
    static constexpr std::size_t max_key_size = 256;
    static constexpr std::size_t max_string_size = kMaxJson;

    bool duplicate = false;
    json::value root;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }

    bool on_object_begin(json::error_code&) {
        stack_.push_back(Frame{json::object{}, {}, true});
        return true;
    }
    bool on_object_end(std::size_t, json::error_code& ec) {
        return close(ec);
    }
    bool on_array_begin(json::error_code&) {
        stack_.push_back(Frame{json::array{}, {}, false});
        return true;
    }
    bool on_array_end(std::size_t, json::error_code& ec) { return close(ec); }

    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        key_.append(s.data(), s.size());
        Frame& top = stack_.back();
        if (top.value.as_object().contains(key_)) {
            duplicate = true;
            ec = json::error::syntax;
            return false;
        }
        top.key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
        text_.append(s.data(), s.size());
        json::value v = json::string_view(text_.data(), text_.size());
        text_.clear();
        return add(std::move(v), ec);
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) { return add(i, ec); }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) { return add(u, ec); }
    bool on_double(double d, json::string_view, json::error_code& ec) { return add(d, ec); }
    bool on_bool(bool b, json::error_code& ec) { return add(b, ec); }
    bool on_null(json::error_code& ec) { return add(nullptr, ec); }
    bool on_comment_part(json::string_view, json::error_code& ec) {
        ec = json::error::syntax;
        return false;
    }
    bool on_comment(json::string_view, json::error_code& ec) {
        ec = json::error::syntax;
        return false;
    }

private:
    struct Frame {
        json::value value;
        std::string key;
        bool is_object;
    };

    bool add(json::value v, json::error_code&) {
        if (stack_.empty()) {
            root = std::move(v);
            return true;
        }
        Frame& top = stack_.back();
        if (top.is_object) {
            top.value.as_object().emplace(top.key, std::move(v));
            top.key.clear();
        } else {
            top.value.as_array().push_back(std::move(v));
        }
        return true;
    }
    bool close(json::error_code& ec) {
        json::value v = std::move(stack_.back().value);
        stack_.pop_back();
        return add(std::move(v), ec);
    }

    std::vector<Frame> stack_;
    std::string key_;
    std::string text_;
};

}  // namespace

Result<boost::json::object, JwtError> parse_json_object(std::string_view untrusted_json) {
    if (untrusted_json.size() > kMaxJson) return JwtError::too_large;
    json::parse_options options;
    options.max_depth = kMaxDepth;
    options.allow_comments = false;
    options.allow_trailing_commas = false;
    options.allow_invalid_utf8 = false;
    json::basic_parser<BuildHandler> parser(options);
    json::error_code ec;
    std::size_t used = 0;
    try {
        used = parser.write_some(false, untrusted_json.data(), untrusted_json.size(), ec);
    } catch (const std::exception&) {
        return JwtError::malformed;  // allocation failure or a limit Boost reports by throwing
    }
    if (parser.handler().duplicate) return JwtError::duplicate_name;
    if (ec || used != untrusted_json.size() || !parser.done()) return JwtError::malformed;
    json::value& root = parser.handler().root;
    if (!root.is_object()) return JwtError::malformed;
    return std::move(root.as_object());
}

}  // namespace bulwark::jwt
