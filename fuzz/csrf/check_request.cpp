// Fuzz the Origin / Referer / Sec-Fetch-Site parsing: fields split on '\n'. A request whose
// Sec-Fetch-Site is cross-site must never pass.
#include <bulwark/csrf.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace csrf = bulwark::csrf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto secret = csrf::new_session_secret();
    static const auto token = csrf::masked_token(secret);
    static const csrf::Policy policy{{"https://trusted.test", "http://localhost:8080"}};
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> f;
    while (f.size() < 5) {
        const auto nl = input.find('\n');
        f.push_back(input.substr(0, nl));
        if (nl == std::string_view::npos) break;
        input.remove_prefix(nl + 1);
    }
    f.resize(5);
    csrf::RequestFacts facts;
    facts.method = f[0];
    facts.is_https = !f[0].empty() && (f[0].front() & 1);
    facts.host = f[1];
    if (!f[2].empty()) facts.sec_fetch_site = f[2];
    if (!f[3].empty()) facts.origin = f[3];
    if (!f[4].empty()) facts.referer = f[4];
    facts.submitted_token = token;
    facts.session_secret = &secret;
    const auto r = csrf::check_request(policy, facts);
    if (r.ok() && !csrf::is_safe_method(facts.method) && facts.sec_fetch_site == "cross-site") std::abort();
    return 0;
}
