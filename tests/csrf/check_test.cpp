#include <bulwark/csrf.hpp>

#include <gtest/gtest.h>

#include <optional>

namespace csrf = bulwark::csrf;
namespace crypto = bulwark::crypto;
using Opt = std::optional<std::string_view>;

namespace {

struct Fixture {
    crypto::SecretBytes secret = csrf::new_session_secret();
    crypto::SecretBytes other_secret = csrf::new_session_secret();
    std::string token = csrf::masked_token(secret);
    std::string other_token = csrf::masked_token(other_secret);
    csrf::Policy policy{{"https://admin.example.com", "https://partner.test:8443"}};
};

// A request as a modern browser sends a same-origin form post over HTTPS.
csrf::RequestFacts good_post(const Fixture& f) {
    csrf::RequestFacts r;
    r.method = "POST";
    r.is_https = true;
    r.host = "app.example.com";
    r.sec_fetch_site = "same-origin";
    r.origin = "https://app.example.com";
    r.referer = "https://app.example.com/form";
    r.submitted_token = f.token;
    r.session_secret = &f.secret;
    return r;
}

struct Case {
    const char* name;
    void (*edit)(csrf::RequestFacts&, const Fixture&);
    std::optional<csrf::CsrfError> want;  // nullopt = accepted
};

void run(const Case* begin, const Case* end) {
    Fixture f;
    for (auto c = begin; c != end; ++c) {
        auto facts = good_post(f);
        c->edit(facts, f);
        const auto r = csrf::check_request(f.policy, facts);
        if (!c->want) {
            EXPECT_TRUE(r.ok()) << c->name << ": refused with " << csrf::error_name(r.error());
        } else {
            ASSERT_FALSE(r.ok()) << c->name << ": accepted";
            EXPECT_EQ(csrf::error_name(r.error()), csrf::error_name(*c->want)) << c->name;
        }
    }
}

using E = csrf::CsrfError;

}  // namespace

TEST(CsrfCheck, RuleTable) {
    const Case cases[] = {
        {"same_origin_post", [](auto&, auto&) {}, std::nullopt},
        {"get_without_token", [](auto& r, auto&) { r.method = "GET"; r.submitted_token.reset(); r.sec_fetch_site = "cross-site"; }, std::nullopt},
        {"head_passes", [](auto& r, auto&) { r.method = "HEAD"; r.submitted_token.reset(); }, std::nullopt},
        {"options_passes", [](auto& r, auto&) { r.method = "OPTIONS"; r.submitted_token.reset(); }, std::nullopt},
        {"trace_passes", [](auto& r, auto&) { r.method = "TRACE"; r.submitted_token.reset(); }, std::nullopt},
        {"put_checked", [](auto& r, auto&) { r.method = "PUT"; r.submitted_token.reset(); }, E::missing},
        {"patch_checked", [](auto& r, auto&) { r.method = "PATCH"; r.submitted_token.reset(); }, E::missing},
        {"delete_checked", [](auto& r, auto&) { r.method = "DELETE"; r.submitted_token.reset(); }, E::missing},
        {"lowercase_get_is_unsafe", [](auto& r, auto&) { r.method = "get"; r.submitted_token.reset(); }, E::missing},
        {"sec_fetch_none_ok", [](auto& r, auto&) { r.sec_fetch_site = "none"; }, std::nullopt},
        {"sec_fetch_cross_site", [](auto& r, auto&) { r.sec_fetch_site = "cross-site"; }, E::cross_site},
        {"sec_fetch_cross_site_uppercase", [](auto& r, auto&) { r.sec_fetch_site = "Cross-Site"; }, E::cross_site},
        {"same_site_untrusted", [](auto& r, auto&) { r.sec_fetch_site = "same-site"; r.origin = "https://blog.example.com"; }, E::cross_site},
        {"same_site_trusted", [](auto& r, auto&) { r.sec_fetch_site = "same-site"; r.origin = "https://admin.example.com"; }, std::nullopt},
        {"same_site_no_origin", [](auto& r, auto&) { r.sec_fetch_site = "same-site"; r.origin.reset(); }, E::cross_site},
        {"unknown_fetch_site_falls_to_origin", [](auto& r, auto&) { r.sec_fetch_site = "weird"; r.origin = "https://evil.test"; }, E::origin_refused},
        {"no_fetch_meta_own_origin", [](auto& r, auto&) { r.sec_fetch_site.reset(); }, std::nullopt},
        {"no_fetch_meta_trusted_origin", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://partner.test:8443"; }, std::nullopt},
        {"trusted_origin_wrong_port", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://partner.test"; }, E::origin_refused},
        {"origin_default_port_explicit", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com:443"; }, std::nullopt},
        {"origin_host_case", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://APP.example.com"; }, std::nullopt},
        {"host_with_port", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.host = "app.example.com:8443"; r.origin = "https://app.example.com:8443"; }, std::nullopt},
        {"origin_http_on_https_app", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "http://app.example.com"; }, E::origin_refused},
        {"https_no_origin_referer_ok", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); }, std::nullopt},
        {"https_no_origin_trusted_referer", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = "https://admin.example.com/x?y"; }, std::nullopt},
        {"https_no_origin_no_referer", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer.reset(); }, E::referer_missing},
        {"https_no_origin_empty_referer", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = ""; }, E::referer_missing},
        {"http_no_origin_no_referer", [](auto& r, auto&) { r.is_https = false; r.sec_fetch_site.reset(); r.origin.reset(); r.referer.reset(); }, std::nullopt},
        {"token_missing", [](auto& r, auto&) { r.submitted_token.reset(); }, E::missing},
        {"token_empty", [](auto& r, auto&) { r.submitted_token = ""; }, E::missing},
        {"no_session", [](auto& r, auto&) { r.session_secret = nullptr; }, E::session_missing},
        {"token_other_session", [](auto& r, auto& f) { r.submitted_token = f.other_token; }, E::mismatch},
        {"token_garbage", [](auto& r, auto&) { r.submitted_token = "abc"; }, E::malformed},
    };
    run(std::begin(cases), std::end(cases));
}

// Attacks: each is something a hostile page or network can make a browser send.
TEST(CsrfCheck, AttackTable) {
    const Case cases[] = {
        {"cross_site_form_with_stolen_valid_token", [](auto& r, auto&) { r.sec_fetch_site = "cross-site"; r.origin = "https://evil.test"; }, E::cross_site},
        {"cross_site_even_if_origin_claims_ours", [](auto& r, auto&) { r.sec_fetch_site = "cross-site"; }, E::cross_site},
        {"old_browser_evil_origin", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://evil.test"; }, E::origin_refused},
        {"null_origin_sandboxed_iframe", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "null"; }, E::origin_refused},
        {"suffix_lookalike_origin", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com.evil.test"; }, E::origin_refused},
        {"prefix_lookalike_origin", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://evilapp.example.com"; }, E::origin_refused},
        {"origin_with_userinfo", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com@evil.test"; }, E::origin_refused},
        {"origin_with_path", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com/"; }, E::origin_refused},
        {"origin_javascript_scheme", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "javascript://app.example.com"; }, E::origin_refused},
        {"origin_empty", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = ""; }, E::origin_refused},
        {"origin_crlf", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com\r\nX: y"; }, E::origin_refused},
        {"origin_port_overflow", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin = "https://app.example.com:65979"; }, E::origin_refused},
        {"referer_other_site", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = "https://evil.test/app.example.com"; }, E::origin_refused},
        {"referer_userinfo_trick", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = "https://app.example.com@evil.test/"; }, E::origin_refused},
        {"referer_http_downgrade", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = "http://app.example.com/form"; }, E::origin_refused},
        {"referer_relative", [](auto& r, auto&) { r.sec_fetch_site.reset(); r.origin.reset(); r.referer = "/form"; }, E::origin_refused},
        {"same_site_sibling_subdomain", [](auto& r, auto&) { r.sec_fetch_site = "same-site"; r.origin = "https://user-content.example.com"; }, E::cross_site},
        {"token_from_other_session", [](auto& r, auto& f) { r.submitted_token = f.other_token; }, E::mismatch},
        {"raw_secret_as_token", [](auto& r, auto& f) { static std::string raw; raw = crypto::base64url_encode(f.secret.reveal()); r.submitted_token = raw; }, E::malformed},
        {"no_session_but_token", [](auto& r, auto&) { r.session_secret = nullptr; }, E::session_missing},
    };
    run(std::begin(cases), std::end(cases));
}

TEST(CsrfCheck, ExemptSkipsEverything) {
    Fixture f;
    f.policy.csrf_exempt = true;
    auto facts = good_post(f);
    facts.sec_fetch_site = "cross-site";
    facts.submitted_token.reset();
    EXPECT_TRUE(csrf::check_request(f.policy, facts).ok());
}

TEST(CsrfCheck, DoubleSubmitMode) {
    Fixture f;
    f.policy.mode = csrf::Mode::double_submit;
    const auto cookie = csrf::new_double_submit_token();
    auto facts = good_post(f);
    facts.session_secret = nullptr;
    facts.double_submit_cookie = cookie;
    facts.submitted_token = cookie;
    EXPECT_TRUE(csrf::check_request(f.policy, facts).ok());
    const auto other = csrf::new_double_submit_token();
    facts.submitted_token = other;
    EXPECT_EQ(csrf::check_request(f.policy, facts).error(), E::mismatch);
    facts.submitted_token.reset();
    EXPECT_EQ(csrf::check_request(f.policy, facts).error(), E::missing);
    facts.submitted_token = cookie;
    facts.sec_fetch_site = "cross-site";  // still refused cross-site with a good pair
    EXPECT_EQ(csrf::check_request(f.policy, facts).error(), E::cross_site);
}

TEST(CsrfCheck, ValidatePolicy) {
    struct Case {
        const char* origin;
        bool ok;
    };
    const Case cases[] = {
        {"https://example.com", true},
        {"http://localhost:8080", true},
        {"https://[::1]:8443", true},
        {"https://*.example.com", false},
        {"https://example.com/", false},
        {"example.com", false},
        {"HTTPS://Example.com", false},
        {"ftp://example.com", false},
        {"null", false},
        {"*", false},
        {"https://example.com:0", false},
        {"https://user@example.com", false},
    };
    for (const auto& c : cases) {
        csrf::Policy p;
        p.trusted_origins = {c.origin};
        if (c.ok)
            EXPECT_NO_THROW(csrf::validate_policy(p)) << c.origin;
        else
            EXPECT_THROW(csrf::validate_policy(p), csrf::ConfigError) << c.origin;
    }
}
