#include "util/net.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace holdfast::util;

TEST(Net, ParsesAddresses) {
    EXPECT_EQ(parse_ip("127.0.0.1")->str(), "127.0.0.1");
    EXPECT_TRUE(parse_ip("127.0.0.1")->is_v4());
    EXPECT_EQ(parse_ip("::ffff:127.0.0.1"), parse_ip("127.0.0.1"));
    EXPECT_EQ(parse_ip("2001:DB8::1")->literal(), "[IPv6:2001:db8::1]");
    for (const char* bad : {"", "1.2.3", "256.1.1.1", "1.2.3.4 ", "::g", "localhost"}) {
        EXPECT_FALSE(parse_ip(bad)) << bad;
    }
}

TEST(Net, NetworksContain) {
    auto lan = parse_network("192.168.1.0/24");
    ASSERT_TRUE(lan);
    EXPECT_TRUE(lan->contains(*parse_ip("192.168.1.77")));
    EXPECT_FALSE(lan->contains(*parse_ip("192.168.2.1")));
    EXPECT_FALSE(lan->contains(*parse_ip("::1")));
    EXPECT_EQ(lan->written_prefix(), 24u);
    auto host = parse_network("127.0.0.1");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->written_prefix(), 32u);
    EXPECT_FALSE(host->contains(*parse_ip("127.0.0.2")));
    auto v6 = parse_network("2001:db8::/32");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*parse_ip("2001:db8:ffff::1")));
    EXPECT_EQ(parse_network("0.0.0.0/0")->written_prefix(), 0u);
}

TEST(Net, RefusesMalformedNetworks) {
    for (const char* bad : {"10.1.2.3/8", "10.0.0.0/33", "10.0.0.0/", "/8", "10.0.0.0/-1", "::/129",
                            "10.0.0.0/8/8", "10.0.0.0/ 8", "any"}) {
        EXPECT_FALSE(parse_network(bad)) << bad;
    }
}

TEST(Net, HostPort) {
    auto hp = parse_host_port("127.0.0.1:2525");
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->host, "127.0.0.1");
    EXPECT_EQ(hp->port, 2525);
    hp = parse_host_port("[::1]:25");
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->host, "::1");
    EXPECT_EQ(parse_host_port("mx.example.test", 25)->port, 25);
    EXPECT_EQ(parse_host_port("2001:db8::1", 25)->host, "2001:db8::1");
    for (const char* bad :
         {"", ":25", "host:", "host:0", "host:65536", "host:x", "[::1", "[::1]x"}) {
        EXPECT_FALSE(parse_host_port(bad)) << bad;
    }
    EXPECT_FALSE(parse_host_port("host"));  // port required without a default
}

TEST(InterfaceAddresses, IncludeLoopback) {
    // Every Linux host (and the tests' loopback-only namespace) has lo up.
    auto all = holdfast::util::interface_addresses();
    EXPECT_NE(std::find(all.begin(), all.end(), *holdfast::util::parse_ip("127.0.0.1")), all.end());
}

TEST(IsUnspecified, WildcardsOnly) {
    using holdfast::util::is_unspecified;
    using holdfast::util::parse_ip;
    EXPECT_TRUE(is_unspecified(*parse_ip("0.0.0.0")));
    EXPECT_TRUE(is_unspecified(*parse_ip("::")));
    EXPECT_FALSE(is_unspecified(*parse_ip("127.0.0.1")));
    EXPECT_FALSE(is_unspecified(*parse_ip("::1")));
}
