// POST /csp-report: where browsers send Content-Security-Policy violation reports (the app's
// policy names it in report-uri). A report is evidence that something tried to run script the
// page did not vouch for (an XSS payload stopped by the nonce, or a browser extension), so each
// one becomes a security-log line; nothing else changes.
//
// The endpoint is open to the whole internet by design: browsers post reports without a CSRF
// token and without credentials we could check. So it is CSRF-exempt (it reads no cookie and
// changes no state), its body is capped at 8 KiB (413), only the two report media types are
// read (415), anything else is a 400, and the log is guarded so one client repeating a report
// cannot flood it: the same (client, directive, blocked URL) is logged once per minute, with
// the number held back.
#include "app_state.hpp"

#include <bulwark/audit.hpp>
#include <bulwark/headers.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace reference::detail {
namespace {

using bulwark::Request;
using bulwark::Response;
namespace headers = bulwark::headers;

// kReportBodyLimit: a single report is well under 1 KiB; a reports+json batch of a few fits.
constexpr std::size_t kReportBodyLimit = 8 * 1024;
constexpr std::chrono::minutes kLogWindow{1};

Response csp_report(State& state, bulwark::audit::RateGuard& guard, Request& req) {
    // The route's body_limit already answered 413 before reading; this keeps the handler
    // correct on its own (a test client or a future transport without the limit).
    if (req.body().size() > kReportBodyLimit) return bulwark::App::error_response(req, 413);
    auto parsed = headers::parse_csp_report(req.header("Content-Type").value_or(""), req.body());
    if (!parsed) {
        switch (parsed.error()) {
            case headers::ReportError::too_large: return bulwark::App::error_response(req, 413);
            case headers::ReportError::unsupported_media_type: return bulwark::App::error_response(req, 415);
            case headers::ReportError::malformed: break;
        }
        if (state.services.audit && guard.admit(bulwark::audit::Event::input_validation_fail,
                                                req.client_address() + " malformed").log)
            state.services.audit->log(bulwark::audit::Event::input_validation_fail,
                                      {req.request_id(), req.client_address(), req.identity()},
                                      {{"kind", "csp_report_malformed"}, {"path", req.path()}});
        return bulwark::App::error_response(req, 400);
    }
    if (!state.services.audit) return Response::empty(204);
    for (const auto& v : *parsed) {
        // The parser already cut every field to printable ASCII without query strings; the
        // logger escapes again, so a crafted report cannot forge or split a line.
        const auto admit = guard.admit(bulwark::audit::Event::input_validation_fail,
                                       req.client_address() + " " + v.effective_directive + " " + v.blocked_uri);
        if (!admit.log) continue;
        state.services.audit->log(bulwark::audit::Event::input_validation_fail,
                                  {req.request_id(), req.client_address(), req.identity()},
                                  {{"kind", "csp_violation"},
                                   {"directive", v.effective_directive},
                                   {"blocked", v.blocked_uri},
                                   {"document", v.document_uri},
                                   {"source", v.source_file},
                                   {"line", v.line},
                                   {"column", v.column},
                                   {"disposition", v.disposition},
                                   {"suppressed", admit.suppressed}});
    }
    return Response::empty(204);
}

}  // namespace

void add_csp_report(bulwark::App& app, const std::shared_ptr<State>& state) {
    auto s = state;
    auto guard = std::make_shared<bulwark::audit::RateGuard>(kLogWindow);
    app.post(kCspReportPath, [s, guard](Request& req) { return csp_report(*s, *guard, req); })
        .csrf_exempt()
        .tag("auth", "none: reads no cookie, changes nothing but the security log")
        .body_limit(kReportBodyLimit)
        .rate_limit("120 per minute")
        .inline_handler()
        .name("csp-report");
}

}  // namespace reference::detail
