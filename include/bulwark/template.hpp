// bulwark/template.hpp: Jinja-style templates with contextual auto-escaping (Go's
// html/template model) for the HTML pages a Bulwark app renders.
//
// Security model: when a template loads, the engine runs an HTML/JS/CSS/URL state machine
// over its literal text and decides, for every `{{ }}`, where the value lands: HTML text,
// RCDATA (<title>, <textarea>), quoted or unquoted attribute values, URL attributes,
// event handlers, <script>, <style> and style attributes. Each output is escaped for its
// context; a URL whose scheme is not http/https/mailto/tel (or a data: image) becomes
// `#blocked`, a CSS value outside a strict alphabet becomes `ZbulwarkZ`. Output in a tag
// name, an attribute name, an HTML comment, a JS regexp/comment/template literal, or a
// branch whose arms end in different contexts is refused at load time with file:line:col.
// The template text is trusted (it is program source); the render context is not. Only a
// SafeHtml value (see sanitize.hpp) is printed unescaped, and only in HTML text.
//
//     bulwark::tmpl::Environment env{{.root = "templates"}};
//     auto page = env.render("user.html", {{"name", untrusted_name}},
//                            {.csp_nonce = nonce, .csrf_token = token});
//     if (!page) log(page.error().to_string());  // no secret in it: values are never quoted
//
// Namespace `tmpl` because `template` is a C++ keyword.
#pragma once

#include <bulwark/result.hpp>
#include <bulwark/sanitize.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bulwark::tmpl {

class Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value, std::less<>>;

// Value is what a template sees: null, bool, int, double, string, list, map or SafeHtml.
// Lists and maps are shared immutable, so copying a Value is cheap.
class Value {
public:
    Value() = default;
    Value(std::nullptr_t) {}                                     // NOLINT
    Value(bool b) : data_(b) {}                                  // NOLINT
    Value(int i) : data_(std::int64_t{i}) {}                     // NOLINT
    Value(std::int64_t i) : data_(i) {}                          // NOLINT
    Value(double d) : data_(d) {}                                // NOLINT
    Value(const char* s) : data_(std::string(s)) {}              // NOLINT
    Value(std::string_view s) : data_(std::string(s)) {}         // NOLINT
    Value(std::string s) : data_(std::move(s)) {}                // NOLINT
    Value(SafeHtml h) : data_(std::move(h)) {}                   // NOLINT
    Value(List l) : data_(std::make_shared<const List>(std::move(l))) {}  // NOLINT
    Value(Map m) : data_(std::make_shared<const Map>(std::move(m))) {}    // NOLINT
    Value(std::initializer_list<std::pair<const std::string, Value>> m) : Value(Map(m)) {}
    // from_json converts a Boost.JSON value; uint64 above INT64_MAX becomes a double.
    static Value from_json(const boost::json::value& json);

    bool is_null() const noexcept { return data_.index() == 0; }
    bool is_bool() const noexcept { return data_.index() == 1; }
    bool is_int() const noexcept { return data_.index() == 2; }
    bool is_double() const noexcept { return data_.index() == 3; }
    bool is_string() const noexcept { return data_.index() == 4; }
    bool is_list() const noexcept { return data_.index() == 5; }
    bool is_map() const noexcept { return data_.index() == 6; }
    bool is_safe_html() const noexcept { return data_.index() == 7; }

    bool as_bool() const { return std::get<1>(data_); }
    std::int64_t as_int() const { return std::get<2>(data_); }
    double as_double() const { return std::get<3>(data_); }
    const std::string& as_string() const { return std::get<4>(data_); }
    const List& as_list() const { return *std::get<5>(data_); }
    const Map& as_map() const { return *std::get<6>(data_); }
    const SafeHtml& as_safe_html() const { return std::get<7>(data_); }

    // truthy follows Jinja: null, false, 0, "", [] and {} are false.
    bool truthy() const noexcept;
    // find returns the map member `key`, or nullptr (also for non-maps).
    const Value* find(std::string_view key) const noexcept;
    // to_string is the text form (`None`-free: null prints as ""), before any escaping.
    std::string to_string() const;
    void append_to(std::string& out) const;

private:
    std::variant<std::monostate, bool, std::int64_t, double, std::string,
                 std::shared_ptr<const List>, std::shared_ptr<const Map>, SafeHtml>
        data_;
};

// to_json_for_html serializes as JSON with <, >, &, ', U+2028 and U+2029 as \u escapes,
// so the text is safe inside <script> and inside a quoted attribute value.
std::string to_json_for_html(const Value& value);

// ErrorCode: what went wrong, at load or render time.
enum class ErrorCode {
    not_found,          // no template of that name (or the name is not a safe relative path)
    too_large,          // template source over Limits::max_template_bytes
    syntax,             // lexer/parser error; line and column point at it
    too_deep,           // nesting, include/extends or macro recursion over its limit
    unsafe_context,     // output in a tag/attribute name, comment, JS regexp..., or branches
                        // ending in different contexts (Go's html/template rules)
    output_too_large,   // rendered output over Limits::max_output_bytes
    render,             // a runtime error such as calling a non-macro
};

// TemplateError names the file, line and column (1-based; 0 when unknown). The message
// describes the template, never the values of the render context.
struct TemplateError {
    ErrorCode code = ErrorCode::syntax;
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;
    std::string to_string() const;
};

// Limits bound every resource a template or its data can consume.
struct Limits {
    std::size_t max_template_bytes = 1 << 20;
    int max_nesting_depth = 64;       // nested statements and expressions
    int max_include_depth = 16;       // chained include/extends
    int max_call_depth = 64;          // macro recursion at render time
    std::size_t max_output_bytes = 16 << 20;
    std::size_t max_loop_iterations = 1 << 20;  // per render, all loops together
};

// RenderOptions carry the per-request values the HTTP layer computes.
struct RenderOptions {
    std::string csp_nonce;   // csp_nonce() in a template
    std::string csrf_token;  // csrf_token() in a template
};

struct Compiled;  // parsed and escaped template, private to the implementation

// Template is a loaded, escaped template. Immutable; render is thread-safe.
class Template {
public:
    explicit Template(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
    Result<std::string, TemplateError> render(const Map& context,
                                              const RenderOptions& options = {}) const;

private:
    std::shared_ptr<const Compiled> compiled_;
};

// Config for an Environment. Defaults are the production choice.
struct Config {
    std::filesystem::path root;   // directory the templates are loaded from
    bool auto_reload = false;     // development: re-check file mtimes on every get()
    Limits limits;
};

// Environment loads templates by name (relative path under root, or an in-memory source),
// parses and escapes each once and caches it. Thread-safe.
class Environment {
public:
    explicit Environment(Config config = {});
    ~Environment();
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;

    // add_source registers an in-memory template (tests, embedded pages); it shadows a file.
    void add_source(std::string name, std::string source);
    // get loads (or returns the cached) template; errors carry file, line, column.
    Result<Template, TemplateError> get(std::string_view name);
    Result<std::string, TemplateError> render(std::string_view name, const Map& context,
                                              const RenderOptions& options = {});
    // from_string compiles a one-off template (it may include/extend registered names).
    Result<Template, TemplateError> from_string(std::string_view source,
                                                std::string_view name = "<string>");

    struct State;

private:
    std::unique_ptr<State> state_;
};

}  // namespace bulwark::tmpl
