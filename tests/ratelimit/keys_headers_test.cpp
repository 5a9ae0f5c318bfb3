// keys_headers_test.cpp: address normalization (an attack table: one client must not spread
// over many buckets) and the response fields.
#include <bulwark/ratelimit.hpp>

#include <gtest/gtest.h>

namespace bulwark::ratelimit {
namespace {

using namespace std::chrono_literals;

TEST(Keys, AddressTable) {
    struct Case { const char* name; const char* address; int prefix; const char* want; };
    const Case cases[] = {
        {"ipv4", "192.0.2.1", 64, "ip4:192.0.2.1"},
        {"ipv6_grouped_by_64", "2001:db8::1", 64, "ip6:2001:db8::/64"},
        {"same_64_other_host", "2001:db8:0:0:ffff:ffff:ffff:ffff", 64, "ip6:2001:db8::/64"},
        {"other_64", "2001:db8:0:1::1", 64, "ip6:2001:db8:0:1::/64"},
        {"upper_case_spelling", "2001:DB8::1", 64, "ip6:2001:db8::/64"},
        {"long_spelling", "2001:0db8:0000:0000:0000:0000:0000:0001", 64, "ip6:2001:db8::/64"},
        {"bracketed", "[2001:db8::1]", 64, "ip6:2001:db8::/64"},
        {"zone_dropped", "fe80::1%eth0", 64, "ip6:fe80::/64"},
        {"mapped_ipv4_unwrapped", "::ffff:192.0.2.1", 64, "ip4:192.0.2.1"},
        {"single_address", "2001:db8::1", 128, "ip6:2001:db8::1/128"},
        {"prefix_48", "2001:db8:abcd:12::1", 48, "ip6:2001:db8:abcd::/48"},
        {"odd_prefix", "2001:db8:ffff::1", 36, "ip6:2001:db8:f000::/36"},
        {"empty", "", 64, "ip:invalid"},
        {"hostname", "localhost", 64, "ip:invalid"},
        {"ipv4_with_port", "192.0.2.1:80", 64, "ip:invalid"},
        {"leading_zero_octet", "192.0.2.01", 64, "ip:invalid"},
        {"overlong", "1111111111111111111111111111111111111111111111111111111111111111111111", 64, "ip:invalid"},
    };
    for (const auto& c : cases) EXPECT_EQ(address_key(c.address, c.prefix), c.want) << c.name;
}

TEST(Keys, IdentityHelpersPrefixAndHashOddValues) {
    EXPECT_EQ(user_key("42"), "user:42");
    EXPECT_EQ(api_key_key("key_abc"), "apikey:key_abc");
    EXPECT_EQ(jwt_key("alice"), "jwt:alice");
    EXPECT_EQ(custom_key("tenant", "acme"), "tenant:acme");
    const std::string hashed = user_key("a|b");
    EXPECT_EQ(hashed.rfind("user:#", 0), 0u) << hashed;
    EXPECT_EQ(hashed.size(), 5 + 1 + 32u);
    EXPECT_NE(user_key("a|b"), user_key("a|c"));
    EXPECT_EQ(user_key(std::string(1000, 'u')).size(), 5 + 1 + 32u);
    EXPECT_NE(user_key("#x"), "user:#x");  // a leading '#' cannot pose as a hash
    EXPECT_NE(user_key("line\nbreak").find('#'), std::string::npos);
}

TEST(Headers, Table) {
    Decision ok;
    ok.allowed = true;
    ok.limit = 5;
    ok.remaining = 3;
    ok.reset = 42s;
    ok.reset_at = 1'700'000'042;
    ok.window = 60s;
    Decision refused = ok;
    refused.allowed = false;
    refused.remaining = 0;
    refused.retry_after = 42s;
    using H = std::vector<std::pair<std::string, std::string>>;
    struct Case { const char* name; Decision d; HeaderOptions o; H want; };
    HeaderOptions ietf;
    ietf.ietf = true;
    ietf.x_ratelimit = false;
    ietf.policy_name = "login";
    HeaderOptions delta;
    delta.x_reset_as_unix_time = false;
    const Case cases[] = {
        {"allowed", ok, {}, {{"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "3"}, {"X-RateLimit-Reset", "1700000042"}}},
        {"refused", refused, {}, {{"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "0"},
                                  {"X-RateLimit-Reset", "1700000042"}, {"Retry-After", "42"}}},
        {"delta_reset", ok, delta, {{"X-RateLimit-Limit", "5"}, {"X-RateLimit-Remaining", "3"}, {"X-RateLimit-Reset", "42"}}},
        {"ietf", refused, ietf, {{"RateLimit-Policy", "\"login\";q=5;w=60"}, {"RateLimit", "\"login\";r=0;t=42"},
                                 {"Retry-After", "42"}}},
    };
    for (const auto& c : cases) EXPECT_EQ(headers(c.d, c.o), c.want) << c.name;
    HeaderOptions evil;
    evil.ietf = true;
    evil.policy_name = "a\"b\r\nX-Evil: 1";
    for (const auto& [name, value] : headers(ok, evil)) {
        EXPECT_EQ(value.find('\n'), std::string::npos);
        EXPECT_EQ(value.find('\r'), std::string::npos);
    }
    Decision zero_wait = refused;
    zero_wait.retry_after = 0s;
    EXPECT_EQ(headers(zero_wait).back().second, "1");  // never Retry-After: 0
}

}  // namespace
}  // namespace bulwark::ratelimit
