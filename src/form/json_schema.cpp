// validate_json: a JsonSchema checked against a parsed value, errors keyed by path.
#include <bulwark/form.hpp>

#include <boost/json/object.hpp>
#include <boost/json/array.hpp>

#include <cmath>

namespace bulwark::form {

JsonSchema json_string(std::vector<Validator> validators) {
    JsonSchema s;
    s.type = JsonType::string;
    s.validators = std::move(validators);
    return s;
}
JsonSchema json_integer(std::vector<Validator> validators) {
    JsonSchema s = json_string(std::move(validators));
    s.type = JsonType::integer;
    return s;
}
JsonSchema json_number(std::vector<Validator> validators) {
    JsonSchema s = json_string(std::move(validators));
    s.type = JsonType::number;
    return s;
}
JsonSchema json_boolean() {
    JsonSchema s;
    s.type = JsonType::boolean;
    return s;
}
JsonSchema json_object(std::vector<JsonProperty> properties) {
    JsonSchema s;
    s.type = JsonType::object;
    s.properties = std::move(properties);
    return s;
}
JsonSchema json_array(JsonSchema items, std::size_t min_items, std::size_t max_items) {
    JsonSchema s;
    s.type = JsonType::array;
    s.items = std::make_shared<JsonSchema>(std::move(items));
    s.min_items = min_items;
    s.max_items = max_items;
    return s;
}
JsonSchema allow_unknown_properties(JsonSchema object) {
    object.allow_unknown_properties = true;
    return object;
}

namespace {

namespace json = boost::json;

std::string_view type_message(JsonType t) {
    switch (t) {
        case JsonType::string: return "Must be a string.";
        case JsonType::integer: return "Must be an integer.";
        case JsonType::number: return "Must be a number.";
        case JsonType::boolean: return "Must be a boolean.";
        case JsonType::object: return "Must be an object.";
        case JsonType::array: return "Must be an array.";
    }
    return "Wrong type.";
}

std::string child_path(const std::string& parent, std::string_view key) {
    if (parent.empty() || parent == "_body") return std::string(key);
    return parent + "." + std::string(key);
}

void check(const JsonSchema& schema, const json::value& v, const std::string& path,
           const json::object* parent, Errors& errors) {
    Value converted;
    switch (schema.type) {
        case JsonType::string:
            if (!v.is_string()) return errors.add(path, std::string(type_message(schema.type)));
            converted = std::string(v.get_string().data(), v.get_string().size());
            break;
        case JsonType::integer:
            if (v.is_int64()) converted = v.get_int64();
            else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
                converted = static_cast<std::int64_t>(v.get_uint64());
            else return errors.add(path, std::string(type_message(schema.type)));
            break;
        case JsonType::number:
            if (v.is_int64()) converted = static_cast<double>(v.get_int64());
            else if (v.is_uint64()) converted = static_cast<double>(v.get_uint64());
            else if (v.is_double() && std::isfinite(v.get_double())) converted = v.get_double();
            else return errors.add(path, std::string(type_message(schema.type)));
            break;
        case JsonType::boolean:
            if (!v.is_bool()) return errors.add(path, std::string(type_message(schema.type)));
            converted = v.get_bool();
            break;
        case JsonType::object: {
            if (!v.is_object()) return errors.add(path, std::string(type_message(schema.type)));
            const json::object& obj = v.get_object();
            for (const JsonProperty& p : schema.properties) {
                auto it = obj.find(p.name);
                if (it == obj.end() || it->value().is_null()) {
                    if (p.presence == Presence::required)
                        errors.add(child_path(path, p.name), "This field is required.");
                    continue;
                }
                check(p.schema, it->value(), child_path(path, p.name), &obj, errors);
            }
            if (!schema.allow_unknown_properties) {
                for (const auto& member : obj) {
                    bool known = false;
                    for (const JsonProperty& p : schema.properties) known = known || p.name == member.key();
                    // The unknown name is the client's text: it becomes a key, never a message.
                    if (!known) errors.add(child_path(path, member.key()), "Unknown field.");
                }
            }
            return;
        }
        case JsonType::array: {
            if (!v.is_array()) return errors.add(path, std::string(type_message(schema.type)));
            const json::array& arr = v.get_array();
            if (arr.size() < schema.min_items || arr.size() > schema.max_items)
                return errors.add(path, "Must have between " + std::to_string(schema.min_items) + " and " +
                                            std::to_string(schema.max_items) + " items.");
            for (std::size_t i = 0; i < arr.size() && schema.items; ++i)
                check(*schema.items, arr[i], path + "[" + std::to_string(i) + "]", nullptr, errors);
            return;
        }
    }
    std::function<std::optional<std::string_view>(std::string_view)> sibling =
        [parent](std::string_view name) -> std::optional<std::string_view> {
        if (parent == nullptr) return std::nullopt;
        auto it = parent->find(name);
        if (it == parent->end() || !it->value().is_string()) return std::nullopt;
        return std::string_view(it->value().get_string().data(), it->value().get_string().size());
    };
    std::string_view raw;
    if (const auto* s = std::get_if<std::string>(&converted)) raw = *s;
    FieldInput input{path, true, raw, converted, sibling};
    for (const Validator& validator : schema.validators) {
        Check c = validator.run(input);
        if (c.error) errors.add(path, std::move(*c.error));
        if (c.stop) break;
    }
}

}  // namespace

Result<void, Errors> validate_json(const JsonSchema& schema, const json::value& value) {
    Errors errors;
    check(schema, value, "_body", nullptr, errors);
    if (!errors.empty()) return Err{std::move(errors)};
    return {};
}

}  // namespace bulwark::form
