// Fuzz parse_json with tight limits and validate_json on what it accepts.
#include <bulwark/form.hpp>

#include <cstdint>

using namespace bulwark::form;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const JsonSchema schema = json_object({
        {"name", json_string({length(1, 20)})},
        {"email", json_string({email()}), Presence::optional},
        {"n", json_integer({number_range(1, 10)}), Presence::optional},
        {"x", json_number(), Presence::optional},
        {"ok", json_boolean(), Presence::optional},
        {"address", json_object({{"city", json_string()}}), Presence::optional},
        {"tags", json_array(json_string({length(1, 10)}), 0, 3), Presence::optional},
    });
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_json(body, {.max_size = 8192, .max_depth = 8, .max_string = 256, .max_elements = 64});
    if (!parsed) return 0;
    auto r = validate_json(schema, *parsed);
    if (!r) (void)r.error().to_json();
    return 0;
}
