#include "dnsbl/target.hpp"

#include <gtest/gtest.h>

namespace holdfast::dnsbl {
namespace {

std::string name(std::string_view text, std::string_view zone = "zen.spamhaus.org") {
    auto t = parse_target(text);
    return t ? query_name(*t, zone) : "(invalid)";
}

TEST(QueryName, Ipv4ReversedOctets) {
    EXPECT_EQ(name("192.0.2.99"), "99.2.0.192.zen.spamhaus.org");
    EXPECT_EQ(name("127.0.0.2", "bl.test."), "2.0.0.127.bl.test");
    EXPECT_EQ(name("[192.0.2.1]"), "1.2.0.192.zen.spamhaus.org");
    EXPECT_EQ(name("::ffff:192.0.2.1"),
              "1.2.0.192.zen.spamhaus.org");  // v4-mapped = the v4 address
}

TEST(QueryName, Ipv6ZeroExpandedNibbles) {
    // RFC 5782 2.4's example.
    EXPECT_EQ(name("2001:db8:1:2:3:4:567:89ab", "ugly.example.com"),
              "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
    // REFERENCE.md's: "::" expands to zero nibbles, 32 in all.
    EXPECT_EQ(name("2001:db8::1", "zone.test"),
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zone.test");
    EXPECT_EQ(name("[IPv6:2001:DB8::1]", "zone.test"), name("2001:db8::1", "zone.test"));
}

TEST(QueryName, Domains) {
    EXPECT_EQ(name("Example.ORG.", "dbl.spamhaus.org"), "example.org.dbl.spamhaus.org");
    EXPECT_EQ(name("bücher.example", "multi.surbl.org"), "xn--bcher-kva.example.multi.surbl.org");
    EXPECT_EQ(name("例え.テスト", "rhsbl.test"), "xn--r8jz45g.xn--zckzah.rhsbl.test");
}

TEST(QueryName, RefusesNonsense) {
    for (const char* bad :
         {"", "300.1.2.3", "1.2.3", "localhost", "a..b", "[not-an-ip]", "spa ce.test"}) {
        EXPECT_FALSE(parse_target(bad)) << bad;
    }
}

TEST(QueryName, TestEntries) {
    EXPECT_EQ(query_name(test_entry(Target::Kind::ipv4, true), "z"), "2.0.0.127.z");
    EXPECT_EQ(query_name(test_entry(Target::Kind::ipv4, false), "z"), "1.0.0.127.z");
    EXPECT_EQ(query_name(test_entry(Target::Kind::ipv6, true), "z"),
              "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.z");
    EXPECT_EQ(query_name(test_entry(Target::Kind::domain, true), "z"), "test.z");
    EXPECT_EQ(query_name(test_entry(Target::Kind::domain, false), "z"), "invalid.z");
}

}  // namespace
}  // namespace holdfast::dnsbl
