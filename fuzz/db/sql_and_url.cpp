// fuzz_db_sql_and_url: the literal check / placeholder rewrite, the URL parser and the time
// parser never crash, and the rewrite keeps its invariants.
#include <bulwark/db.hpp>

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace bulwark::db;

    const auto scan = detail::scan_sql(input, [](std::size_t) {});
    const auto rewritten = detail::rewrite_placeholders(input);
    if ((scan.error == nullptr) != rewritten.has_value()) std::abort();
    if (rewritten) {
        // Each `?` became `$k`: the length grows by exactly the digits of 1..n.
        std::size_t expected = input.size();
        for (std::size_t k = 1; k <= scan.placeholders; ++k) expected += std::to_string(k).size();
        if (rewritten->size() != expected) std::abort();
    }

    auto url = detail::parse_url(input);
    if (url && url->backend == Backend::sqlite && url->sqlite_path != ":memory:" &&
        (url->sqlite_path.empty() || url->sqlite_path[0] != '/'))
        std::abort();

    (void)detail::value_to_time(Value(std::string(input)));
    return 0;
}
