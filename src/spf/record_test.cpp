#include "spf/record.hpp"

#include <gtest/gtest.h>

namespace holdfast::spf {
namespace {

TEST(SpfRecord, ParsesMechanismsAndModifiers) {
    auto r = Record::parse(
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.test/24//64 -include:_spf.test "
        "~exists:%{i}.x.test ?all redirect=other.test unknown=x exp=e.test");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->mechanisms.size(), 7u);
    EXPECT_EQ(r->mechanisms[0].kind, Mechanism::Kind::ip4);
    EXPECT_EQ(r->mechanisms[0].cidr4, 24u);
    EXPECT_EQ(r->mechanisms[1].cidr6, 32u);
    EXPECT_EQ(r->mechanisms[3].domain, "mail.test");
    EXPECT_EQ(r->mechanisms[3].cidr4, 24u);
    EXPECT_EQ(r->mechanisms[3].cidr6, 64u);
    EXPECT_EQ(r->mechanisms[4].qualifier, Qualifier::fail);
    EXPECT_EQ(r->mechanisms[5].qualifier, Qualifier::softfail);
    EXPECT_EQ(r->mechanisms[6].qualifier, Qualifier::neutral);
    EXPECT_EQ(*r->redirect, "other.test");
}

TEST(SpfRecord, RecognisesTheVersion) {
    EXPECT_TRUE(is_spf_record("v=spf1"));
    EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
    EXPECT_FALSE(is_spf_record("v=spf10 -all"));
    EXPECT_FALSE(is_spf_record("v=DKIM1; p="));
    EXPECT_FALSE(is_spf_record(""));
}

TEST(SpfRecord, RefusesMalformed) {
    for (const char* bad :
         {"v=spf1 ip4:300.0.0.1", "v=spf1 ip4:192.0.2.1/33", "v=spf1 ip6:::1/129",
          "v=spf1 ip4:2001:db8::1", "v=spf1 ip6:1.2.3.4", "v=spf1 include",
          "v=spf1 include:", "v=spf1 foo", "v=spf1 all:x", "v=spf1 a/", "v=spf1 a//",
          "v=spf1 a/024", "v=spf1 redirect=a.test redirect=b.test", "v=spf1 =x", "v=spf1 1x=y",
          "v=spf1 -", "v=spf1 exists:\x01", "v=spf1 mx:a.test/24//"}) {
        EXPECT_FALSE(Record::parse(bad)) << bad;
    }
}

TEST(SpfRecord, Networks) {
    auto ip = [](const char* s) { return *util::parse_ip(s); };
    EXPECT_TRUE(in_network(ip("192.0.2.77"), ip("192.0.2.1"), 24));
    EXPECT_FALSE(in_network(ip("192.0.3.77"), ip("192.0.2.1"), 24));
    EXPECT_TRUE(in_network(ip("10.1.2.3"), ip("192.0.2.1"), 0));
    EXPECT_FALSE(in_network(ip("2001:db8::1"), ip("192.0.2.1"), 0));
    EXPECT_TRUE(in_network(ip("2001:db8::1"), ip("2001:db8::"), 32));
}

}  // namespace
}  // namespace holdfast::spf
