// Schema (forms), typed conversion, Errors and ValidatedForm.
#include <bulwark/form.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <charconv>
#include <cmath>

namespace bulwark::form {

void Errors::add(std::string_view field, std::string message) {
    for (auto& [name, messages] : fields_) {
        if (name == field) {
            messages.push_back(std::move(message));
            return;
        }
    }
    fields_.emplace_back(std::string(field), std::vector<std::string>{std::move(message)});
}

std::vector<std::string> Errors::field_names() const {
    std::vector<std::string> names;
    names.reserve(fields_.size());
    for (const auto& entry : fields_) names.push_back(entry.first);
    return names;
}

const std::vector<std::string>* Errors::messages(std::string_view field) const {
    for (const auto& [name, messages] : fields_)
        if (name == field) return &messages;
    return nullptr;
}

std::string Errors::to_json() const {
    // Built by hand to keep the schema's field order; strings go through Boost.JSON's escaper.
    std::string out = "{\"errors\":{";
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (i) out += ',';
        out += boost::json::serialize(boost::json::string(fields_[i].first));
        out += ":[";
        for (std::size_t k = 0; k < fields_[i].second.size(); ++k) {
            if (k) out += ',';
            out += boost::json::serialize(boost::json::string(fields_[i].second[k]));
        }
        out += ']';
    }
    out += "}}";
    return out;
}

void ValidatedForm::set(std::string name, Value value) { values_.emplace_back(std::move(name), std::move(value)); }

const Value* ValidatedForm::get(std::string_view name) const {
    for (const auto& [k, v] : values_)
        if (k == name) return &v;
    return nullptr;
}

namespace {
template <class T>
std::optional<T> typed(const Value* v) {
    if (v == nullptr) return std::nullopt;
    if (const auto* t = std::get_if<T>(v)) return *t;
    return std::nullopt;
}
}  // namespace

std::optional<std::string_view> ValidatedForm::get_string(std::string_view name) const {
    const Value* v = get(name);
    if (v == nullptr) return std::nullopt;
    if (const auto* s = std::get_if<std::string>(v)) return std::string_view(*s);
    return std::nullopt;
}
std::optional<std::int64_t> ValidatedForm::get_int(std::string_view name) const { return typed<std::int64_t>(get(name)); }
std::optional<double> ValidatedForm::get_double(std::string_view name) const { return typed<double>(get(name)); }
std::optional<bool> ValidatedForm::get_bool(std::string_view name) const { return typed<bool>(get(name)); }
std::optional<Date> ValidatedForm::get_date(std::string_view name) const { return typed<Date>(get(name)); }

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
        if (x != b[i]) return false;
    }
    return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int parse_digits(std::string_view s) {
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

// conversion_message names the type, never the value.
std::string conversion_message(Type type) {
    switch (type) {
        case Type::integer: return "Not a valid integer value.";
        case Type::number: return "Not a valid float value.";
        case Type::boolean: return "Not a valid boolean value.";
        case Type::date: return "Not a valid date value.";
        case Type::string: break;
    }
    return "Not a valid value.";
}

// convert turns text into the field's type, or nullopt.
std::optional<Value> convert(Type type, std::string_view raw) {
    std::string_view text = trim(raw);
    switch (type) {
        case Type::string:
            return Value{std::string(raw)};
        case Type::integer: {
            std::string_view digits = text;
            if (!digits.empty() && digits.front() == '+') {
                digits.remove_prefix(1);
                if (digits.empty() || digits.front() < '0' || digits.front() > '9')
                    return std::nullopt;
            }
            std::int64_t v = 0;
            auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
            if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
                return std::nullopt;
            return Value{v};
        }
        case Type::number: {
            double v = 0;
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
                return std::nullopt;
            return Value{v};
        }
        case Type::boolean: {
            for (std::string_view t : {"true", "1", "on", "yes", "y"})
                if (iequals(text, t)) return Value{true};
            for (std::string_view f : {"false", "0", "off", "no", "n"})
                if (iequals(text, f)) return Value{false};
            return std::nullopt;
        }
        case Type::date: {
            if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
            int y = parse_digits(text.substr(0, 4));
            int m = parse_digits(text.substr(5, 2));
            int d = parse_digits(text.substr(8, 2));
            static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            if (y < 1 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0))
                return std::nullopt;
            return Value{Date{y, m, d}};
        }
    }
    return std::nullopt;
}

}  // namespace

Schema::Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

Result<ValidatedForm, Errors> Schema::validate(const MultiDict& data) const {
    ValidatedForm out;
    Errors errors;
    std::function<std::optional<std::string_view>(std::string_view)> sibling =
        [&data](std::string_view name) { return data.get(name); };
    for (const Field& field : fields_) {
        auto raw = data.get(field.name);
        Value value;
        std::optional<std::string> conversion_error;
        // Blank text fails conversion for non-string types; optional() runs first and clears it.
        if (raw) {
            auto converted = convert(field.type, *raw);
            if (converted) value = std::move(*converted);
            else conversion_error = conversion_message(field.type);
        }
        FieldInput input{field.name, raw.has_value(), raw.value_or(std::string_view{}), value, sibling};
        bool stopped = false;
        bool converted_checked = false;
        bool field_failed = false;
        for (const Validator& v : field.validators) {
            if (v.stage == Validator::Stage::value && !converted_checked) {
                converted_checked = true;
                if (conversion_error) {
                    errors.add(field.name, *conversion_error);
                    field_failed = true;
                    stopped = true;
                    break;
                }
            }
            Check check = v.run(input);
            if (check.error) {
                errors.add(field.name, std::move(*check.error));
                field_failed = true;
            }
            if (check.stop) {
                stopped = true;
                if (!check.error) value = std::monostate{};  // optional() and blank: no value
                break;
            }
        }
        if (!stopped && !converted_checked && conversion_error) {
            errors.add(field.name, *conversion_error);
            field_failed = true;
        }
        if (!field_failed) out.set(field.name, std::move(value));
    }
    if (!errors.empty()) return Err{std::move(errors)};
    return out;
}

}  // namespace bulwark::form
