// Addresses, CIDR lists and the client-address resolver, with the spoofing attempts a
// client behind (or beside) a proxy can make.
#include <bulwark/config.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using bulwark::config::Cidr;
using bulwark::config::IpAddress;
using bulwark::config::ProxyHeaders;
using bulwark::config::ProxyView;
using bulwark::config::resolve_client;
using bulwark::config::Scheme;
using bulwark::config::TrustedProxies;

TEST(IpAddress, ParsesCanonicalFormsOnly) {
    struct Case { const char* text; const char* canonical; };  // canonical nullptr: refused
    const std::vector<Case> cases = {
        {"127.0.0.1", "127.0.0.1"},
        {"255.255.255.255", "255.255.255.255"},
        {"::1", "::1"},
        {"2001:DB8::1", "2001:db8::1"},
        {"::ffff:10.1.2.3", "10.1.2.3"},  // IPv4-mapped: one address, one form
        {"fe80::1%eth0", nullptr},
        {"127.1", nullptr},
        {"0x7f.0.0.1", nullptr},
        {"010.0.0.1", nullptr},
        {"256.0.0.1", nullptr},
        {"1.2.3.4 ", nullptr},
        {" 1.2.3.4", nullptr},
        {"[::1]", nullptr},
        {"1.2.3.4:80", nullptr},
        {"", nullptr},
        {"unknown", nullptr},
        {"1:2:3:4:5:6:7:8:9", nullptr},
        {"0000000000000000000000000000000000000000000000001.2.3.4", nullptr},
    };
    for (const auto& c : cases) {
        auto ip = IpAddress::parse(c.text);
        if (c.canonical == nullptr) {
            EXPECT_FALSE(ip.has_value()) << c.text;
        } else {
            ASSERT_TRUE(ip.has_value()) << c.text;
            EXPECT_EQ(ip->to_string(), c.canonical) << c.text;
        }
    }
}

TEST(Cidr, ParseAndContains) {
    struct Case { const char* cidr; const char* ip; bool inside; };
    const std::vector<Case> cases = {
        {"10.0.0.0/8", "10.255.1.2", true},
        {"10.0.0.0/8", "11.0.0.1", false},
        {"127.0.0.1/32", "127.0.0.1", true},
        {"127.0.0.1/32", "127.0.0.2", false},
        {"127.0.0.1", "127.0.0.1", true},
        {"0.0.0.0/0", "8.8.8.8", true},
        {"0.0.0.0/0", "::1", false},
        {"192.168.0.0/23", "192.168.1.200", true},
        {"192.168.0.0/23", "192.168.2.1", false},
        {"::1/128", "::1", true},
        {"::1/128", "::2", false},
        {"fd00::/8", "fd12:3456::1", true},
        {"fd00::/8", "fe80::1", false},
        {"2001:db8::/33", "2001:db8:7fff::1", true},
        {"2001:db8::/33", "2001:db8:8000::1", false},
        {"10.0.0.0/8", "::ffff:10.0.0.9", true},  // dual-stack peer form
        {"::ffff:10.0.0.0/104", "10.3.3.3", true},
        {"::/0", "10.0.0.1", false},              // families never mix
    };
    for (const auto& c : cases) {
        auto cidr = Cidr::parse(c.cidr);
        ASSERT_TRUE(cidr.has_value()) << c.cidr;
        auto ip = IpAddress::parse(c.ip);
        ASSERT_TRUE(ip.has_value()) << c.ip;
        EXPECT_EQ(cidr->contains(*ip), c.inside) << c.cidr << " " << c.ip;
    }
    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08",
                            "10.0.0.0/-1", "/8", "10.0.0.0/8/8", "::ffff:10.0.0.0/8", "fd00::1/8", "*"}) {
        EXPECT_FALSE(Cidr::parse(bad).has_value()) << bad;
    }
}

TEST(TrustedProxies, ParsesLists) {
    auto t = TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/8, ::1/128, fd00::/8");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->networks().size(), 4u);
    EXPECT_TRUE(t->contains(*IpAddress::parse("10.1.1.1")));
    EXPECT_TRUE(t->contains(*IpAddress::parse("fd00::5")));
    EXPECT_FALSE(t->contains(*IpAddress::parse("8.8.8.8")));
    EXPECT_TRUE(TrustedProxies::parse("")->empty());
    EXPECT_TRUE(TrustedProxies::parse(" ,, ")->empty());
    EXPECT_EQ(TrustedProxies::parse("10.0.0.0/8\n192.168.0.0/16")->networks().size(), 2u);
    EXPECT_FALSE(TrustedProxies::parse("10.0.0.0/8, nonsense").has_value());
    EXPECT_FALSE(TrustedProxies::parse("10.0.0.0/8;192.168.0.0/16").has_value());
    std::string many;
    for (int i = 0; i < 257; ++i) many += "10.0.0." + std::to_string(i % 256) + ",";
    EXPECT_FALSE(TrustedProxies::parse(many).has_value());
}

struct ResolveCase {
    const char* name;
    const char* peer;
    Scheme connection;
    ProxyHeaders mode;
    std::vector<std::string_view> forwarded;
    std::vector<std::string_view> xff;
    std::vector<std::string_view> xfp;
    const char* address;
    Scheme scheme;
};

TEST(ResolveClient, Table) {
    const auto trusted = *TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/8, ::1/128, fd00::/8");
    const auto H = Scheme::http;
    const auto S = Scheme::https;
    const auto X = ProxyHeaders::x_forwarded;
    const auto F = ProxyHeaders::forwarded;
    const std::vector<ResolveCase> cases = {
        // No proxy involved.
        {"direct", "203.0.113.5", H, X, {}, {}, {}, "203.0.113.5", H},
        {"direct_tls", "203.0.113.5", S, X, {}, {}, {}, "203.0.113.5", S},
        {"trusted_peer_no_headers", "10.0.0.2", H, X, {}, {}, {}, "10.0.0.2", H},
        // Spoofing from an untrusted peer: every header ignored.
        {"untrusted_peer_xff", "203.0.113.5", H, X, {}, {"1.1.1.1"}, {"https"}, "203.0.113.5", H},
        {"untrusted_peer_forwarded", "203.0.113.5", H, F, {"for=1.1.1.1;proto=https"}, {}, {}, "203.0.113.5", H},
        {"untrusted_peer_claims_trusted", "203.0.113.5", H, X, {}, {"10.0.0.1"}, {}, "203.0.113.5", H},
        // One trusted proxy.
        {"xff_one_hop", "10.0.0.2", H, X, {}, {"198.51.100.7"}, {"https"}, "198.51.100.7", S},
        {"xff_ipv6_peer", "::1", H, X, {}, {"2001:db8::7"}, {"http"}, "2001:db8::7", H},
        {"xff_mapped_peer", "::ffff:10.0.0.2", H, X, {}, {"198.51.100.7"}, {}, "198.51.100.7", H},
        // The client prepends a fake entry: the walk stops at the first untrusted address.
        {"xff_client_prepends_fake", "10.0.0.2", H, X, {}, {"6.6.6.6, 198.51.100.7"}, {}, "198.51.100.7", H},
        {"xff_client_prepends_trusted_fake", "10.0.0.2", H, X, {}, {"10.9.9.9, 198.51.100.7"}, {}, "198.51.100.7", H},
        {"xff_multiple_header_lines", "10.0.0.2", H, X, {}, {"6.6.6.6", "198.51.100.7"}, {}, "198.51.100.7", H},
        // Two trusted hops: both skipped.
        {"xff_two_trusted_hops", "10.0.0.2", H, X, {}, {"198.51.100.7, 10.0.0.3"}, {}, "198.51.100.7", H},
        {"xff_all_trusted", "10.0.0.2", H, X, {}, {"10.0.0.4, 10.0.0.3"}, {}, "10.0.0.4", H},
        // Entries with ports and brackets.
        {"xff_v4_port", "10.0.0.2", H, X, {}, {"198.51.100.7:5555"}, {}, "198.51.100.7", H},
        {"xff_v6_bracket_port", "10.0.0.2", H, X, {}, {"[2001:db8::7]:443"}, {}, "2001:db8::7", H},
        // Garbage stops the walk at the nearest trusted hop, never at an attacker's choice.
        {"xff_garbage_rightmost", "10.0.0.2", H, X, {}, {"1.1.1.1, garbage"}, {}, "10.0.0.2", H},
        {"xff_garbage_behind_trusted", "10.0.0.2", H, X, {}, {"1.1.1.1, <script>, 10.0.0.3"}, {}, "10.0.0.3", H},
        {"xff_empty_entry", "10.0.0.2", H, X, {}, {"1.1.1.1,,"}, {}, "10.0.0.2", H},
        {"xff_shorthand_v4", "10.0.0.2", H, X, {}, {"127.1"}, {}, "10.0.0.2", H},
        {"xff_zone", "10.0.0.2", H, X, {}, {"fe80::1%eth0"}, {}, "10.0.0.2", H},
        // X-Forwarded-Proto.
        {"xfp_bad_value_ignored", "10.0.0.2", S, X, {}, {"198.51.100.7"}, {"javascript"}, "198.51.100.7", S},
        {"xfp_case_insensitive", "10.0.0.2", H, X, {}, {"198.51.100.7"}, {"HTTPS"}, "198.51.100.7", S},
        {"xfp_without_xff", "10.0.0.2", H, X, {}, {}, {"https"}, "10.0.0.2", S},
        {"xfp_rightmost_when_counts_differ", "10.0.0.2", H, X, {}, {"198.51.100.7"}, {"https, http"}, "198.51.100.7", H},
        {"xfp_aligned_with_xff", "10.0.0.2", H, X, {}, {"198.51.100.7, 10.0.0.3"}, {"https, http"}, "198.51.100.7", S},
        // Header family not chosen by the operator is ignored.
        {"forwarded_ignored_in_x_mode", "10.0.0.2", H, X, {"for=6.6.6.6;proto=https"}, {}, {}, "10.0.0.2", H},
        {"xff_ignored_in_forwarded_mode", "10.0.0.2", H, F, {}, {"6.6.6.6"}, {"https"}, "10.0.0.2", H},
        // RFC 7239 Forwarded.
        {"fwd_simple", "10.0.0.2", H, F, {"for=198.51.100.7;proto=https"}, {}, {}, "198.51.100.7", S},
        {"fwd_case_and_spaces", "10.0.0.2", H, F, {"For=198.51.100.7 ; Proto=HTTPS"}, {}, {}, "198.51.100.7", S},
        {"fwd_quoted_v4", "10.0.0.2", H, F, {"for=\"198.51.100.7\""}, {}, {}, "198.51.100.7", H},
        {"fwd_v6_bracket_port", "10.0.0.2", H, F, {"for=\"[2001:db8:cafe::17]:4711\""}, {}, {}, "2001:db8:cafe::17", H},
        {"fwd_v6_unquoted_invalid", "10.0.0.2", H, F, {"for=[2001:db8::1]"}, {}, {}, "10.0.0.2", H},
        {"fwd_v6_bare_refused", "10.0.0.2", H, F, {"for=\"2001:db8::1\""}, {}, {}, "10.0.0.2", H},
        {"fwd_chain", "10.0.0.2", H, F, {"for=6.6.6.6, for=198.51.100.7;proto=https, for=10.0.0.3;proto=http"}, {}, {}, "198.51.100.7", S},
        {"fwd_multiple_lines", "10.0.0.2", H, F, {"for=6.6.6.6", "for=198.51.100.7"}, {}, {}, "198.51.100.7", H},
        {"fwd_unknown_stops", "10.0.0.2", H, F, {"for=6.6.6.6, for=unknown"}, {}, {}, "10.0.0.2", H},
        {"fwd_obfuscated_stops", "10.0.0.2", H, F, {"for=6.6.6.6, for=_hidden, for=10.0.0.3"}, {}, {}, "10.0.0.3", H},
        {"fwd_obfuscated_port_ok", "10.0.0.2", H, F, {"for=\"198.51.100.7:_p1\""}, {}, {}, "198.51.100.7", H},
        {"fwd_missing_for_stops", "10.0.0.2", H, F, {"proto=https;by=10.0.0.2"}, {}, {}, "10.0.0.2", S},
        {"fwd_duplicate_param_voids", "10.0.0.2", H, F, {"for=198.51.100.7;for=6.6.6.6"}, {}, {}, "10.0.0.2", H},
        {"fwd_bad_proto_voids", "10.0.0.2", H, F, {"for=198.51.100.7;proto=gopher"}, {}, {}, "10.0.0.2", H},
        {"fwd_syntax_error_voids", "10.0.0.2", H, F, {"for=198.51.100.7;;"}, {}, {}, "10.0.0.2", H},
        {"fwd_unterminated_quote_voids", "10.0.0.2", H, F, {"for=\"198.51.100.7"}, {}, {}, "10.0.0.2", H},
        {"fwd_unquoted_port_voids", "10.0.0.2", H, F, {"for=198.51.100.7:80"}, {}, {}, "10.0.0.2", H},
        {"fwd_comma_in_quotes", "10.0.0.2", H, F, {"for=198.51.100.7;host=\"a,b\""}, {}, {}, "198.51.100.7", H},
        {"fwd_quoted_escape", "10.0.0.2", H, F, {"for=\"198.51.100.\\7\""}, {}, {}, "198.51.100.7", H},
        {"fwd_empty_elements", "10.0.0.2", H, F, {", ,for=198.51.100.7,"}, {}, {}, "198.51.100.7", H},
        {"fwd_ctl_in_quotes_voids", "10.0.0.2", H, F, {"for=\"1.2.3.4\r\n\""}, {}, {}, "10.0.0.2", H},
        // Peers that are not IP addresses (a Unix socket) are never trusted.
        {"peer_not_an_ip", "unix:/run/app.sock", H, X, {}, {"1.1.1.1"}, {}, "unix:/run/app.sock", H},
        {"peer_empty", "", H, X, {}, {"1.1.1.1"}, {}, "", H},
    };
    for (const auto& c : cases) {
        ProxyView view;
        view.peer_address = c.peer;
        view.connection_scheme = c.connection;
        view.forwarded = c.forwarded;
        view.x_forwarded_for = c.xff;
        view.x_forwarded_proto = c.xfp;
        auto info = resolve_client(trusted, c.mode, view);
        EXPECT_EQ(info.address, c.address) << c.name;
        EXPECT_EQ(info.scheme, c.scheme) << c.name;
    }
}

TEST(ResolveClient, EmptyTrustListBelievesNothing) {
    TrustedProxies none;
    std::vector<std::string_view> xff = {"1.1.1.1"};
    std::vector<std::string_view> xfp = {"https"};
    ProxyView view{"127.0.0.1", Scheme::http, {}, xff, xfp};
    auto info = resolve_client(none, ProxyHeaders::x_forwarded, view);
    EXPECT_EQ(info.address, "127.0.0.1");
    EXPECT_EQ(info.scheme, Scheme::http);
    EXPECT_FALSE(info.via_proxy);
}

TEST(ResolveClient, OversizedHeadersAreIgnored) {
    const auto trusted = *TrustedProxies::parse("10.0.0.0/8");
    std::string long_list;
    for (int i = 0; i < 40; ++i) long_list += "10.0.0.1, ";
    long_list += "198.51.100.7";
    std::vector<std::string_view> xff = {long_list};
    ProxyView view{"10.0.0.2", Scheme::http, {}, xff, {}};
    EXPECT_EQ(resolve_client(trusted, ProxyHeaders::x_forwarded, view).address, "10.0.0.2");

    std::string huge(bulwark::config::kMaxProxyHeaderBytes + 1, ' ');
    huge += "198.51.100.7";
    std::vector<std::string_view> xff2 = {huge};
    view.x_forwarded_for = xff2;
    EXPECT_EQ(resolve_client(trusted, ProxyHeaders::x_forwarded, view).address, "10.0.0.2");

    std::vector<std::string_view> fwd = {huge};
    view.forwarded = fwd;
    EXPECT_EQ(resolve_client(trusted, ProxyHeaders::forwarded, view).address, "10.0.0.2");
}

TEST(ResolveClient, ViaProxyFlag) {
    const auto trusted = *TrustedProxies::parse("10.0.0.0/8");
    std::vector<std::string_view> xff = {"198.51.100.7"};
    ProxyView view{"10.0.0.2", Scheme::http, {}, xff, {}};
    EXPECT_TRUE(resolve_client(trusted, ProxyHeaders::x_forwarded, view).via_proxy);
    view.peer_address = "203.0.113.1";
    EXPECT_FALSE(resolve_client(trusted, ProxyHeaders::x_forwarded, view).via_proxy);
}

}  // namespace
