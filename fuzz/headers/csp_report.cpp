// Fuzz CSP report parsing. Whatever comes in, what goes to the log is printable ASCII,
// bounded, and free of quotes, backslashes and line breaks.
#include <bulwark/headers.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace headers = bulwark::headers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr std::string_view kTypes[] = {"application/csp-report", "application/reports+json",
                                                  "application/json; charset=utf-8", "text/plain"};
    const auto type = kTypes[data[0] % 4];
    const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto r = headers::parse_csp_report(type, body);
    if (!r) return 0;
    if (r->size() > headers::kMaxReports) std::abort();
    for (const auto& v : *r) {
        for (const auto* field : {&v.document_uri, &v.blocked_uri, &v.effective_directive, &v.source_file, &v.disposition}) {
            if (field->size() > headers::kMaxReportField) std::abort();
            for (char c : *field)
                if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') std::abort();
        }
        const auto line = headers::summarize(v);
        if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) std::abort();
    }
    return 0;
}
