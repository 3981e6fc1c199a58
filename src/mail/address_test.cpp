#include "mail/address.hpp"

#include <gtest/gtest.h>

using namespace holdfast::mail;

namespace {
Address ok(std::string_view text, PathOptions o = {}) {
    PathParse p = parse_path(text, o);
    EXPECT_TRUE(p.address.has_value()) << text << ": " << describe(p.error);
    return p.address.value_or(Address{});
}
AddressError err(std::string_view text, PathOptions o = {}) {
    PathParse p = parse_path(text, o);
    EXPECT_FALSE(p.address.has_value()) << text;
    return p.error;
}
}  // namespace

TEST(Address, PlainMailbox) {
    Address a = ok("<Alice@Example.TEST.>");
    EXPECT_EQ(a.local, "Alice");          // local parts keep their case
    EXPECT_EQ(a.domain, "example.test");  // domains do not, nor the trailing dot
    EXPECT_EQ(a.str(), "Alice@example.test");
    EXPECT_FALSE(a.has_routing());
}

TEST(Address, ConsumedStopsAtBracketSoParametersFollow) {
    PathParse p = parse_path("<a@b.test> SIZE=10");
    ASSERT_TRUE(p.address);
    EXPECT_EQ(p.consumed, 10u);
}

TEST(Address, NullPathOnlyWhereAllowed) {
    EXPECT_TRUE(ok("<>", {.allow_null = true}).is_null());
    EXPECT_EQ(err("<>"), AddressError::null_not_allowed);
}

TEST(Address, SourceRouteIsDropped) {
    Address a = ok("<@a.test,@[192.0.2.1]:u@ext.test>");
    EXPECT_TRUE(a.had_route);
    EXPECT_EQ(a.str(), "u@ext.test");
    EXPECT_EQ(err("<@a.test u@ext.test>"), AddressError::bad_route);
    EXPECT_EQ(err("<@:u@ext.test>"), AddressError::bad_route);
    EXPECT_EQ(err("<@a..b:u@ext.test>"), AddressError::bad_route);
}

TEST(Address, QuotedLocalPart) {
    Address a = ok("<\"u@ext.test\"@[192.0.2.1]>");
    EXPECT_TRUE(a.quoted);
    EXPECT_EQ(a.local, "u@ext.test");
    EXPECT_EQ(a.domain, "[192.0.2.1]");
    EXPECT_TRUE(a.has_routing());
    EXPECT_EQ(a.str(), "\"u@ext.test\"@[192.0.2.1]");
    Address esc = ok(R"(<"a\"b\\c"@x.test>)");
    EXPECT_EQ(esc.local, "a\"b\\c");
    EXPECT_EQ(ok("<\"john.smith\"@x.test>").str(), "john.smith@x.test");  // needless quotes go
    // A '>' inside quotes does not end the path.
    EXPECT_EQ(ok("<\"a>b\"@x.test>").local, "a>b");
}

TEST(Address, RelayTricksParseAndShowTheirRouting) {
    EXPECT_TRUE(ok("<u%ext.test@[192.0.2.1]>").has_routing());
    EXPECT_TRUE(ok("<ext.test!u>").has_routing());
    EXPECT_TRUE(ok("<\"u%ext.test\">").has_routing());
    Address dbl = ok("<u@ext.test@ourhost.test>");
    EXPECT_EQ(dbl.local, "u@ext.test");
    EXPECT_EQ(dbl.domain, "ourhost.test");
    EXPECT_TRUE(dbl.has_routing());
}

TEST(Address, UnwrapRoutingFindsTheRealDestination) {
    auto u = unwrap_routing(ok("<u%Ext.Test@host.test>"));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->str(), "u@ext.test");
    u = unwrap_routing(ok("<ext.test!u@host.test>"));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->str(), "u@ext.test");
    u = unwrap_routing(ok("<\"u@ext.test\">"));
    ASSERT_TRUE(u);
    EXPECT_EQ(u->str(), "u@ext.test");
    EXPECT_FALSE(unwrap_routing(ok("<plain@host.test>")));
}

TEST(Address, Literals) {
    EXPECT_EQ(ok("<u@[IPv6:2001:DB8::1]>").domain, "[IPv6:2001:db8::1]");
    EXPECT_EQ(err("<u@[300.1.1.1]>"), AddressError::bad_literal);
    EXPECT_EQ(err("<u@[1.2.3]>"), AddressError::bad_literal);
    EXPECT_EQ(err("<u@[2001:db8::1]>"), AddressError::bad_literal);  // needs the IPv6: tag
    EXPECT_EQ(err("<u@[IPv6:zz::1]>"), AddressError::bad_literal);
    EXPECT_EQ(err("<u@[192.0.2.1>"), AddressError::bad_literal);
}

TEST(Address, MalformedInputIsRefused) {
    EXPECT_EQ(err("u@x.test"), AddressError::missing_brackets);
    EXPECT_EQ(err("<u@x.test"), AddressError::missing_brackets);
    EXPECT_EQ(err(""), AddressError::missing_brackets);
    EXPECT_EQ(err("<"), AddressError::missing_brackets);
    EXPECT_EQ(err("< u@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<u @x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<.u@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<u.@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<u..v@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<@x.test>"), AddressError::bad_route);
    EXPECT_EQ(err("<u@>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@x.test@>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@-x.test>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@x_y.test>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@x..test>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@x.test..>"), AddressError::bad_domain);
    EXPECT_EQ(err("<\"unterminated@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<\"a\"b@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<\"\">"), AddressError::bad_local_part);
    EXPECT_EQ(err(std::string_view("<u\0v@x.test>", 12)), AddressError::bad_local_part);
    EXPECT_EQ(err("<\"a\x01\"@x.test>"), AddressError::bad_local_part);
    EXPECT_EQ(err("<" + std::string(300, 'a') + "@x.test>"), AddressError::too_long);
    EXPECT_EQ(err("<u@" + std::string(64, 'a') + ".test>"), AddressError::bad_domain);
    EXPECT_EQ(err("<u@" + std::string(300, 'a') + ">"), AddressError::too_long);
}

TEST(Address, Utf8OnlyWithSmtputf8) {
    const char* text =
        "<j\xc3\xb6rg@b\xc3\xbc"
        "cher.test>";
    EXPECT_EQ(err(text), AddressError::bad_local_part);
    Address a = ok(text, {.allow_utf8 = true});
    EXPECT_EQ(a.local, "j\xc3\xb6rg");
}

TEST(Address, ParseMailboxForConfigValues) {
    auto a = parse_mailbox("Postmaster@Example.test");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->domain, "example.test");
    EXPECT_FALSE(parse_mailbox("@x.test"));
    EXPECT_FALSE(parse_mailbox("a b@x.test"));
}
