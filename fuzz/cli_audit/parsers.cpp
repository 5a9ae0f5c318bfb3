// fuzz_cli_audit_parsers: `bulwark audit`'s parsers of what an audited (untrusted) site sends:
// Set-Cookie, CSP, HSTS, HTML forms, the leak markers, and the checks over a response built
// from the input. The first byte picks the target; none may crash, hang or read past its
// limits. It links bulwark_cli_audit (tools/bulwark/CMakeLists.txt), which exists when the
// tree builds the apps.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit.hpp"

namespace audit = bulwark::cli::audit;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 6) {
        case 0:
            (void)audit::parse_set_cookie(input);
            break;
        case 1:
            (void)audit::parse_csp(input);
            break;
        case 2:
            (void)audit::parse_hsts(input);
            break;
        case 3: {
            for (const auto& form : audit::find_forms(input)) (void)audit::csrf_token_of(form, "");
            break;
        }
        case 4:
            (void)audit::leak_in(input);
            break;
        default: {
            // The same bytes as every header the checks read, on every page.
            audit::Response r;
            r.sent = true;
            r.status = 200;
            for (auto name : {"content-security-policy", "strict-transport-security", "set-cookie",
                              "x-frame-options", "referrer-policy", "x-content-type-options",
                              "server", "location"})
                r.headers.emplace_back(name, std::string(input));
            r.body = std::string(input);
            audit::Observed o;
            o.host = "example.test";
            o.home = o.login_page = o.register_page = o.plain_http = o.not_found = o.malformed =
                o.post_no_token = r;
            o.plain_http.status = 301;
            (void)audit::evaluate(o);
            break;
        }
    }
    return 0;
}
