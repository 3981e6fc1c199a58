#include "smtp/protocol/dsn_params.hpp"

#include <gtest/gtest.h>

#include "smtp/protocol/command.hpp"

using namespace holdfast;
using namespace holdfast::smtp;

TEST(Xtext, DecodesAndEncodes) {
    EXPECT_EQ(xtext_decode("abc"), "abc");
    EXPECT_EQ(xtext_decode(""), "");
    EXPECT_EQ(xtext_decode("a+2Bb+3Dc+20d"), "a+b=c d");
    EXPECT_EQ(xtext_encode("a+b=c d\xc3\xa9"), "a+2Bb+3Dc+20d+C3+A9");
    for (std::string raw : {"", "x", "+=+=", "\x01\x7f\xff", "rfc822;a@b"}) {
        EXPECT_EQ(xtext_decode(xtext_encode(raw)), raw);
    }
}

TEST(Xtext, RefusesMalformedInput) {
    for (std::string_view bad :
         {"+", "+4", "a+4", "+4g", "+zz", "+2b", "a=b", "a b", "\x01", "caf\xc3\xa9", "+G0"}) {
        EXPECT_FALSE(xtext_decode(bad)) << bad;
    }
}

TEST(DsnParams, Values) {
    std::string why;
    EXPECT_EQ(parse_ret("full", why), mail::DsnReturn::full);
    EXPECT_EQ(parse_ret("HDRS", why), mail::DsnReturn::headers);
    EXPECT_FALSE(parse_ret("BOTH", why));
    EXPECT_FALSE(parse_ret("", why));
    EXPECT_EQ(parse_envid("QQ+2B314", why), "QQ+314");
    EXPECT_FALSE(parse_envid("", why));
    EXPECT_FALSE(parse_envid(std::string(101, 'x'), why));
    EXPECT_TRUE(parse_envid(std::string(100, 'x'), why));
    EXPECT_FALSE(parse_envid("a+0Db", why)) << "decoded controls";
    EXPECT_EQ(parse_notify("never", why), mail::DsnNotify::never());
    EXPECT_EQ(parse_notify("SUCCESS,DELAY", why), (mail::DsnNotify{true, true, false, true}));
    EXPECT_FALSE(parse_notify("NEVER,SUCCESS", why));
    EXPECT_FALSE(parse_notify("FAILURE,FAILURE", why));
    EXPECT_FALSE(parse_notify("FAILURE,", why));
    EXPECT_FALSE(parse_notify("", why));
    EXPECT_FALSE(parse_notify("SOMETIMES", why));
    EXPECT_EQ(parse_orcpt("rfc822;alice+40example.test", why), "rfc822;alice@example.test");
    EXPECT_EQ(parse_orcpt("rfc822;a@b.test", why), "rfc822;a@b.test");
    EXPECT_FALSE(parse_orcpt("alice@example.test", why));
    EXPECT_FALSE(parse_orcpt(";alice@example.test", why));
    EXPECT_FALSE(parse_orcpt("rfc822;", why));
    EXPECT_FALSE(parse_orcpt("rfc(822);a@b", why));
    EXPECT_FALSE(parse_orcpt("rfc822;a+0A@b", why));
    EXPECT_FALSE(parse_orcpt("rfc822;" + std::string(501, 'a'), why));
    EXPECT_FALSE(why.empty());
}

TEST(DsnParams, OutboundForms) {
    EXPECT_EQ(orcpt_parameter("rfc822;a+b=c@d.test"), "rfc822;a+2Bb+3Dc@d.test");
    EXPECT_EQ(orcpt_parameter(""), "");
    EXPECT_EQ(notify_parameter({}), "");
    EXPECT_EQ(notify_parameter(mail::DsnNotify::never()), "NEVER");
    EXPECT_EQ(notify_parameter({true, false, true, true}), "FAILURE,DELAY");
}

TEST(Command, DsnParametersOnMailAndRcpt) {
    auto m = parse_command("MAIL FROM:<a@b.test> RET=HDRS ENVID=QQ+2B1 SIZE=10");
    ASSERT_TRUE(m.command);
    EXPECT_EQ(m.command->mail.ret, mail::DsnReturn::headers);
    EXPECT_EQ(m.command->mail.envid, "QQ+1");
    EXPECT_TRUE(m.command->mail.uses_esmtp());
    auto r = parse_command("RCPT TO:<c@d.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;c+40d.test");
    ASSERT_TRUE(r.command);
    EXPECT_EQ(r.command->rcpt.notify, (mail::DsnNotify{true, false, true, true}));
    EXPECT_EQ(r.command->rcpt.orcpt, "rfc822;c@d.test");
    auto plain = parse_command("RCPT TO:<c@d.test>");
    ASSERT_TRUE(plain.command);
    EXPECT_FALSE(plain.command->rcpt.uses_esmtp());
}

TEST(Command, MalformedDsnParametersAre501) {
    for (std::string_view line : {
             "MAIL FROM:<a@b.test> RET=ALL",
             "MAIL FROM:<a@b.test> RET",
             "MAIL FROM:<a@b.test> RET=FULL RET=HDRS",
             "MAIL FROM:<a@b.test> ENVID=",
             "MAIL FROM:<a@b.test> ENVID=a+zz",
             "MAIL FROM:<a@b.test> ENVID=x ENVID=y",
             "RCPT TO:<a@b.test> NOTIFY=",
             "RCPT TO:<a@b.test> NOTIFY=NEVER,DELAY",
             "RCPT TO:<a@b.test> NOTIFY=DELAY,DELAY",
             "RCPT TO:<a@b.test> NOTIFY=WHENEVER",
             "RCPT TO:<a@b.test> NOTIFY=NEVER NOTIFY=NEVER",
             "RCPT TO:<a@b.test> ORCPT=a@b.test",
             "RCPT TO:<a@b.test> ORCPT=rfc822;a+4",
             "RCPT TO:<a@b.test> ORCPT=rfc822;a@b ORCPT=rfc822;a@b",
         }) {
        auto p = parse_command(line);
        EXPECT_FALSE(p.command) << line;
        EXPECT_EQ(p.error.code, 501) << line;
        EXPECT_EQ(p.error.enhanced, "5.5.4") << line;
    }
}
