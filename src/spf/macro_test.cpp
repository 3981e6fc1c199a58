#include "spf/macro.hpp"

#include <gtest/gtest.h>

namespace holdfast::spf {
namespace {

// RFC 7208 7.4's examples.
TEST(SpfMacro, Rfc7208Examples) {
    MacroContext c{"strong-bad@email.example.com", "email.example.com",
                   *util::parse_ip("192.0.2.3"), "mx.example.org"};
    auto x = [&](const char* s) { return expand(s, c).value_or("<error>"); };
    EXPECT_EQ(x("%{s}"), "strong-bad@email.example.com");
    EXPECT_EQ(x("%{o}"), "email.example.com");
    EXPECT_EQ(x("%{d}"), "email.example.com");
    EXPECT_EQ(x("%{d4}"), "email.example.com");
    EXPECT_EQ(x("%{d3}"), "email.example.com");
    EXPECT_EQ(x("%{d2}"), "example.com");
    EXPECT_EQ(x("%{d1}"), "com");
    EXPECT_EQ(x("%{dr}"), "com.example.email");
    EXPECT_EQ(x("%{d2r}"), "example.email");
    EXPECT_EQ(x("%{l}"), "strong-bad");
    EXPECT_EQ(x("%{l-}"), "strong.bad");
    EXPECT_EQ(x("%{lr}"), "strong-bad");
    EXPECT_EQ(x("%{lr-}"), "bad.strong");
    EXPECT_EQ(x("%{l1r-}"), "strong");
    EXPECT_EQ(x("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(x("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(x("%{h}"), "mx.example.org");
    EXPECT_EQ(x("a%%b%_c%-d"), "a%b c%20d");
    c.ip = *util::parse_ip("2001:db8::cb01");
    EXPECT_EQ(
        x("%{ir}.%{v}._spf.%{d2}"),
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(SpfMacro, RefusesMalformed) {
    MacroContext c{"a@b.test", "b.test", *util::parse_ip("192.0.2.3"), "h.test"};
    for (const char* bad :
         {"%", "%x", "%{", "%{}", "%{q}", "%{d0}", "%{d999}", "%{c}", "%{d*}", "a b"}) {
        EXPECT_FALSE(expand(bad, c)) << bad;
    }
}

}  // namespace
}  // namespace holdfast::spf
