// Fuzz parse_urlencoded and the register schema on whatever it accepts.
#include <bulwark/form.hpp>

#include <cstdint>
#include <cstdlib>

using namespace bulwark::form;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Schema schema({
        {"username", Type::string, {required(), length(3, 20), regexp("[A-Za-z0-9_]+")}},
        {"email", Type::string, {required(), email()}},
        {"site", Type::string, {optional(), url()}},
        {"age", Type::integer, {optional(), number_range(0, 150)}},
        {"x", Type::number, {optional()}},
        {"b", Type::boolean, {optional()}},
        {"d", Type::date, {optional()}},
        {"confirm", Type::string, {optional(), equal_to("email")}},
    });
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto parsed = parse_urlencoded(body, {.max_size = 4096, .max_fields = 64, .max_key = 64, .max_value = 1024});
    if (!parsed) return 0;
    for (const auto& [k, v] : parsed->items())
        if (!valid_utf8(k) || !valid_utf8(v)) std::abort();  // the parser promised UTF-8
    auto r = schema.validate(*parsed);
    if (!r) (void)r.error().to_json();
    return 0;
}
