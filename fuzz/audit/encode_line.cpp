// encode_line.cpp: arbitrary bytes in every string slot of a record; the line must always be
// exactly one line of valid JSON whose strings hold no raw control characters.
#include <bulwark/audit.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace audit = bulwark::audit;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    // Split the input on 0xFF into user, client, a field key and a field value.
    std::string_view parts[5];
    for (auto& p : parts) {
        const auto cut = in.find('\xFF');
        p = in.substr(0, cut);
        in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 1);
    }
    const audit::Field fields[] = {{parts[2], parts[3]}, {"n", static_cast<std::int64_t>(size)}, {"b", size % 2 == 0}};
    const auto event = static_cast<audit::Event>(size % audit::kEventCount);
    audit::Record record{event, std::chrono::system_clock::time_point{}, parts[4], {parts[3], parts[1], parts[0]}, fields};
    const std::string line = audit::format_line(record);

    if (line.empty() || line.back() != '\n') std::abort();
    for (std::size_t i = 0; i + 1 < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c < 0x20 || c == 0x7F) std::abort();
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(std::string_view(line).substr(0, line.size() - 1), ec);
    if (ec || !value.is_object()) std::abort();
    if (value.as_object().at("event").as_string() != audit::event_name(event)) std::abort();

    std::string alone;
    (void)audit::append_json_string(alone, in);
    boost::json::parse(alone, ec);
    if (ec) std::abort();
    return 0;
}
