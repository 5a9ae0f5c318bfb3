// CSP violation reports: application/csp-report (CSP2 report-uri) and application/reports+json
// (Reporting API). Reports come from any browser on the internet, so everything is bounded and
// what reaches the log is cut, stripped of query strings, and limited to printable ASCII.
#include <bulwark/headers.hpp>

#include <boost/json.hpp>

#include <algorithm>

namespace bulwark::headers {
namespace {

namespace json = boost::json;

std::string lower_media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    auto t = content_type.substr(0, semi);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    std::string out(t.substr(0, 64));
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string printable(std::string_view s) {
    std::string out;
    const auto n = std::min(s.size(), kMaxReportField);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        out += (u >= 0x20 && u < 0x7f && s[i] != '"' && s[i] != '\\') ? s[i] : '?';
    }
    return out;
}

// url_field drops the query and fragment: report URLs may carry tokens (reset links, OAuth codes).
std::string url_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return {};
    std::string_view s = v->get_string();
    s = s.substr(0, s.find_first_of("?#"));
    return printable(s);
}

std::string text_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return {};
    return printable(std::string_view(v->get_string()));
}

std::uint32_t number_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_uint64()) return static_cast<std::uint32_t>(std::min<std::uint64_t>(v->get_uint64(), UINT32_MAX));
    if (v->is_int64() && v->get_int64() > 0)
        return static_cast<std::uint32_t>(std::min<std::int64_t>(v->get_int64(), UINT32_MAX));
    if (v->is_double() && v->get_double() > 0 && v->get_double() < 4e9) return static_cast<std::uint32_t>(v->get_double());
    return 0;
}

// legacy reads a CSP2 "csp-report" object (hyphenated keys).
Violation legacy(const json::object& r) {
    Violation v;
    v.document_uri = url_field(r, "document-uri");
    v.blocked_uri = url_field(r, "blocked-uri");
    v.effective_directive = text_field(r, "effective-directive");
    if (v.effective_directive.empty()) v.effective_directive = text_field(r, "violated-directive");
    v.source_file = url_field(r, "source-file");
    v.disposition = text_field(r, "disposition");
    v.line = number_field(r, "line-number");
    v.column = number_field(r, "column-number");
    return v;
}

// modern reads a Reporting API "csp-violation" body (camelCase keys).
Violation modern(const json::object& b) {
    Violation v;
    v.document_uri = url_field(b, "documentURL");
    v.blocked_uri = url_field(b, "blockedURL");
    v.effective_directive = text_field(b, "effectiveDirective");
    v.source_file = url_field(b, "sourceFile");
    v.disposition = text_field(b, "disposition");
    v.line = number_field(b, "lineNumber");
    v.column = number_field(b, "columnNumber");
    return v;
}

}  // namespace

std::string_view report_error_name(ReportError e) noexcept {
    switch (e) {
        case ReportError::too_large: return "too_large";
        case ReportError::unsupported_media_type: return "unsupported_media_type";
        case ReportError::malformed: return "malformed";
    }
    return "unknown";
}

Result<std::vector<Violation>, ReportError> parse_csp_report(std::string_view content_type,
                                                             std::string_view untrusted_body) {
    if (untrusted_body.size() > kMaxReportBody) return ReportError::too_large;
    const auto type = lower_media_type(content_type);
    const bool reporting_api = type == "application/reports+json";
    if (!reporting_api && type != "application/csp-report" && type != "application/json")
        return ReportError::unsupported_media_type;

    json::parse_options opts;
    opts.max_depth = 8;  // both shapes are three levels deep
    std::error_code ec;
    unsigned char buffer[4096];
    json::monotonic_resource mr(buffer, sizeof buffer);
    const json::value doc = json::parse(untrusted_body, ec, &mr, opts);
    if (ec) return ReportError::malformed;

    std::vector<Violation> out;
    if (const auto* top = doc.if_object()) {
        const auto* r = top->if_contains("csp-report");
        if (!r || !r->is_object()) return ReportError::malformed;
        out.push_back(legacy(r->get_object()));
        return out;
    }
    const auto* list = doc.if_array();
    if (!list) return ReportError::malformed;
    for (const auto& item : *list) {
        if (out.size() >= kMaxReports) break;
        const auto* o = item.if_object();
        if (!o) return ReportError::malformed;
        const auto* t = o->if_contains("type");
        if (!t || !t->is_string() || t->get_string() != "csp-violation") continue;  // other report types
        const auto* b = o->if_contains("body");
        if (!b || !b->is_object()) return ReportError::malformed;
        out.push_back(modern(b->get_object()));
    }
    return out;
}

std::string summarize(const Violation& v) {
    std::string out = "csp_violation directive=\"" + v.effective_directive + "\" blocked=\"" + v.blocked_uri +
                      "\" document=\"" + v.document_uri + "\"";
    if (!v.source_file.empty())
        out += " source=\"" + v.source_file + ":" + std::to_string(v.line) + ":" + std::to_string(v.column) + "\"";
    if (!v.disposition.empty()) out += " disposition=\"" + v.disposition + "\"";
    return out;
}

}  // namespace bulwark::headers
