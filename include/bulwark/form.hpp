// bulwark/form.hpp: bounded parsers for form and JSON bodies, and declarative validation.
//
// What it does: parses `application/x-www-form-urlencoded` bodies (and query strings) into a
// MultiDict and JSON bodies into a boost::json::value, each under hard limits; validates them
// against a Schema (forms, WTForms style) or a JsonSchema (JSON bodies), returning typed values or
// an Errors object that serialises as `{"errors": {"field": ["message", ...]}}`.
//
// Security model: every byte of input is untrusted. Parsers refuse, never repair: a bad percent
// escape, invalid UTF-8 (https://www.rfc-editor.org/rfc/rfc3629), a duplicate JSON key (the
// parser-differential trick, RFC 8259 §4) or a limit passed is an error that maps to 400 (413 for
// the total size). Unknown JSON members are refused by default (mass assignment, OWASP API6).
// Error messages never contain the submitted values, so the glue may log field names
// (`Errors::field_names`) as `input_validation_fail` without leaking what a user typed.
//
//     using namespace bulwark::form;
//     static const Schema kRegister{{
//         {"username", Type::string, {required(), length(3, 20), regexp("[A-Za-z0-9_]+")}},
//         {"age", Type::integer, {optional(), number_range(0, 150)}},
//     }};
//     auto data = parse_urlencoded(body);               // Result<MultiDict, ParseError>
//     if (!data) return respond(http_status(data.error()), parse_error_body(data.error()));
//     auto form = kRegister.validate(*data);            // Result<ValidatedForm, Errors>
//     if (!form) return respond(400, form.error().to_json());
//     std::string name{*form->get_string("username")};
#pragma once

#include <bulwark/result.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace bulwark::form {

// ParseError: why a body was refused before validation. Every code maps to 400 except
// too_large (413); see http_status.
enum class ParseError {
    too_large,          // the body is longer than the limit (413)
    too_many_fields,    // more key=value pairs, or JSON array/object members, than allowed
    key_too_long,       // a decoded key (or JSON member name) is longer than allowed
    value_too_long,     // a decoded value (or JSON string) is longer than allowed
    bad_escape,         // `%` not followed by two hex digits
    invalid_utf8,       // the decoded bytes are not well-formed UTF-8
    malformed_json,     // not one JSON text (syntax error, trailing data, comments, NaN...)
    too_deep,           // JSON nested deeper than allowed
    duplicate_key,      // a JSON object names the same member twice
};
std::string_view parse_error_name(ParseError e) noexcept;
// http_status: 413 for too_large, 400 for every other code.
int http_status(ParseError e) noexcept;
// parse_error_body: the 400/413 body for a parse error, `{"errors": {"_body": [message]}}`.
std::string parse_error_body(ParseError e);

// MultiDict keeps every key=value pair in order; a key may repeat (`tag=a&tag=b`).
class MultiDict {
public:
    void add(std::string key, std::string value);
    // get: the first value for key, or nullopt.
    std::optional<std::string_view> get(std::string_view key) const;
    std::vector<std::string_view> get_all(std::string_view key) const;
    bool contains(std::string_view key) const { return get(key).has_value(); }
    std::size_t size() const noexcept { return items_.size(); }
    const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return items_; }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// UrlencodedLimits: defaults sized for HTML forms; raise them per route when needed.
struct UrlencodedLimits {
    std::size_t max_size = 1024 * 1024;   // raw body bytes
    std::size_t max_fields = 1000;        // pairs (Werkzeug's max_form_parts)
    std::size_t max_key = 256;            // decoded bytes
    std::size_t max_value = 64 * 1024;    // decoded bytes
};

// parse_urlencoded decodes `a=1&b=x+y&b=%C3%A9` (WHATWG application/x-www-form-urlencoded):
// `+` is a space, `%XX` a byte, empty segments are skipped, a segment without `=` has an empty
// value. Works on query strings too (pass the part after `?`). Strict: a `%` without two hex
// digits or invalid UTF-8 after decoding is refused.
Result<MultiDict, ParseError> parse_urlencoded(std::string_view untrusted_body,
                                               const UrlencodedLimits& limits = {});

// JsonLimits: bounds for parse_json. Strings and keys are counted in decoded bytes.
struct JsonLimits {
    std::size_t max_size = 1024 * 1024;
    std::size_t max_depth = 32;
    std::size_t max_string = 64 * 1024;
    std::size_t max_elements = 10000;   // members of one array or object
};

// parse_json parses exactly one JSON text (RFC 8259) with strict UTF-8, no comments, no trailing
// commas, and no duplicate member names (Boost.JSON alone would keep the last one silently).
Result<boost::json::value, ParseError> parse_json(std::string_view untrusted_body,
                                                  const JsonLimits& limits = {});

// valid_utf8 reports whether bytes are well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF).
bool valid_utf8(std::string_view bytes) noexcept;

// ---------------------------------------------------------------------------------------------
// Validation

struct Date {
    int year = 0;
    int month = 0;
    int day = 0;
    bool operator==(const Date&) const = default;
};
// Value: a field's converted value; monostate when the field was absent or optional and empty.
using Value = std::variant<std::monostate, std::string, std::int64_t, double, bool, Date>;

// Type: the conversion a form field gets. integer: optional sign and decimal digits, in int64;
// number: a finite decimal float; boolean: true/false/1/0/on/off/yes/no (any case);
// date: YYYY-MM-DD, a real calendar date.
enum class Type { string, integer, number, boolean, date };

// FieldInput is what a validator sees. `raw` is the submitted text (empty when absent or not
// textual, as for JSON numbers); `value` the converted value; `sibling` looks up another field's
// text (EqualTo).
struct FieldInput {
    std::string_view name;
    bool present = false;
    std::string_view raw;
    const Value& value;
    const std::function<std::optional<std::string_view>(std::string_view)>& sibling;
};

// Check is a validator's verdict: an error message (or none), and whether the chain stops here.
struct Check {
    std::optional<std::string> error;
    bool stop = false;
};

// Validator: one rule. Presence validators (required, optional) run on the raw input before
// conversion; the others run on the converted value and are skipped when conversion failed.
struct Validator {
    enum class Stage { presence, value };
    Stage stage = Stage::value;
    std::function<Check(const FieldInput&)> run;
};

// Messages default to WTForms' English ones; every factory takes an override.
Validator required(std::string message = "This field is required.");
// optional: an absent or blank field stops the chain with no error and no value.
Validator optional();
// length counts Unicode code points, as Python does; -1 means no bound.
Validator length(long min, long max, std::string message = {});
// regexp must match the whole value (ECMAScript syntax); values over 4 KiB never match,
// because std::regex recurses per character.
Validator regexp(const std::string& pattern, std::string message = "Invalid input.");
Validator number_range(std::optional<double> min, std::optional<double> max,
                       std::string message = {});
// EmailOptions: practical RFC 5321/5322 (dot-atom local part <= 64 octets, domain <= 255,
// address <= 254, at least two domain labels, UTF-8 domain labels accepted with a light IDNA check).
struct EmailOptions {
    bool allow_quoted_local = false;   // "john doe"@example.com
};
bool is_valid_email(std::string_view address, const EmailOptions& options = {});
Validator email(std::string message = "Invalid email address.", EmailOptions options = {});
// URL: absolute URL with a scheme in the allowlist, a host with a TLD (or an IP), no userinfo.
bool is_valid_url(std::string_view url, const std::vector<std::string>& schemes = {"http", "https"});
Validator url(std::vector<std::string> schemes = {"http", "https"}, std::string message = "Invalid URL.");
Validator any_of(std::vector<std::string> values, std::string message = {});
Validator none_of(std::vector<std::string> values, std::string message = {});
// equal_to compares with another field's text in constant time (password confirmation).
Validator equal_to(std::string other_field, std::string message = {});
// custom wraps a function returning an error message, or nullopt when the value is fine.
Validator custom(std::function<std::optional<std::string>(const FieldInput&)> check);

// Errors: field -> messages, in schema order. Messages never echo the submitted value.
class Errors {
public:
    void add(std::string_view field, std::string message);
    bool empty() const noexcept { return fields_.empty(); }
    // field_names: what the glue logs with input_validation_fail (never the values).
    std::vector<std::string> field_names() const;
    const std::vector<std::string>* messages(std::string_view field) const;
    // to_json: exactly `{"errors": {"field": ["message", ...]}}`.
    std::string to_json() const;

private:
    std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
};

// ValidatedForm: the converted values of a valid form.
class ValidatedForm {
public:
    void set(std::string name, Value value);
    const Value* get(std::string_view name) const;
    std::optional<std::string_view> get_string(std::string_view name) const;
    std::optional<std::int64_t> get_int(std::string_view name) const;
    std::optional<double> get_double(std::string_view name) const;
    std::optional<bool> get_bool(std::string_view name) const;
    std::optional<Date> get_date(std::string_view name) const;

private:
    std::vector<std::pair<std::string, Value>> values_;
};

struct Field {
    std::string name;
    Type type = Type::string;
    std::vector<Validator> validators;
};

// Schema: a form's fields. Fields not in the schema (csrf_token, ...) are ignored; a field
// submitted twice is validated on its first value. Immutable and thread-safe once built.
class Schema {
public:
    explicit Schema(std::vector<Field> fields);
    Result<ValidatedForm, Errors> validate(const MultiDict& data) const;
    const std::vector<Field>& fields() const noexcept { return fields_; }

private:
    std::vector<Field> fields_;
};

// ---------------------------------------------------------------------------------------------
// JSON schema

enum class JsonType { string, integer, number, boolean, object, array };
struct JsonProperty;

// JsonSchema describes one JSON value. Build it with the json_* functions below.
struct JsonSchema {
    JsonType type = JsonType::string;
    std::vector<Validator> validators;        // scalars: run on the value
    std::vector<JsonProperty> properties;     // objects
    bool allow_unknown_properties = false;    // loud opt-out: see allow_unknown_properties()
    std::shared_ptr<JsonSchema> items;        // arrays
    std::size_t min_items = 0;
    std::size_t max_items = 1000;
};
enum class Presence { required, optional };
struct JsonProperty {
    std::string name;
    JsonSchema schema;
    Presence presence = Presence::required;
};

JsonSchema json_string(std::vector<Validator> validators = {});
JsonSchema json_integer(std::vector<Validator> validators = {});
JsonSchema json_number(std::vector<Validator> validators = {});
JsonSchema json_boolean();
JsonSchema json_object(std::vector<JsonProperty> properties);
JsonSchema json_array(JsonSchema items, std::size_t min_items = 0, std::size_t max_items = 1000);
// allow_unknown_properties: the object accepts members the schema does not name (opt-out).
JsonSchema allow_unknown_properties(JsonSchema object);

// validate_json checks a parsed value; error fields are paths: `address.city`, `tags[2]`, and
// `_body` for the top level.
Result<void, Errors> validate_json(const JsonSchema& schema, const boost::json::value& value);

}  // namespace bulwark::form
