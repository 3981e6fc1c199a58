#include "smtp/client/wire.hpp"

#include <gtest/gtest.h>

#include "smtp/client/capabilities.hpp"
#include "smtp/client/status.hpp"
#include "smtp/protocol/reply_parser.hpp"

using namespace holdfast::smtp;
using namespace holdfast::smtp::client;

TEST(DotStuff, DoublesLeadingDotsAndEndsWithDot) {
    EXPECT_EQ(dot_stuff("a\r\n.b\r\n..c\r\n"), "a\r\n..b\r\n...c\r\n.\r\n");
    EXPECT_EQ(dot_stuff(".\r\n"), "..\r\n.\r\n");
    EXPECT_EQ(dot_stuff(""), ".\r\n");
}

TEST(DotStuff, MakesEveryLineEndCrlf) {
    EXPECT_EQ(dot_stuff("a\nb\rc"), "a\r\nb\r\nc\r\n.\r\n");
    EXPECT_EQ(dot_stuff("a\n.\n"), "a\r\n..\r\n.\r\n");  // a bare-LF "." is not an end
    EXPECT_EQ(dot_stuff("x\r\r\n"), "x\r\n\r\n.\r\n");
}

TEST(MailCommand, UsesOnlyAnnouncedParameters) {
    std::string data = "Subject: caf\xc3\xa9\r\n\r\nbody\r\n";
    Message m{"a@b.test", {"c@d.test"}, data, true};
    Capabilities none;
    EXPECT_EQ(mail_command(m, none, 42), "MAIL FROM:<a@b.test>");
    Capabilities all;
    all.size = all.eight_bit_mime = all.smtputf8 = true;
    EXPECT_EQ(mail_command(m, all, 42), "MAIL FROM:<a@b.test> SIZE=42 BODY=8BITMIME SMTPUTF8");
    Message plain{"", {"c@d.test"}, "x\r\n"};
    EXPECT_EQ(mail_command(plain, all, 3), "MAIL FROM:<> SIZE=3");
    EXPECT_EQ(rcpt_command("c@d.test"), "RCPT TO:<c@d.test>");
}

TEST(MailCommand, DsnParametersOnlyWhenAnnounced) {
    Message m{"a@b.test", {"c@d.test", "e@f.test"}, "x\r\n"};
    m.ret = holdfast::mail::DsnReturn::full;
    m.envid = "Q+=";
    m.recipient_dsn = {{{true, true, false, false}, "rfc822;c@d.test"}, {}};
    Capabilities none;
    EXPECT_EQ(mail_command(m, none, 3), "MAIL FROM:<a@b.test>");
    EXPECT_EQ(rcpt_command(m, 0, none), "RCPT TO:<c@d.test>");
    Capabilities dsn;
    dsn.dsn = true;
    EXPECT_EQ(mail_command(m, dsn, 3), "MAIL FROM:<a@b.test> RET=FULL ENVID=Q+2B+3D");
    EXPECT_EQ(rcpt_command(m, 0, dsn), "RCPT TO:<c@d.test> NOTIFY=SUCCESS ORCPT=rfc822;c@d.test");
    EXPECT_EQ(rcpt_command(m, 1, dsn), "RCPT TO:<e@f.test>");
    m.recipient_dsn.clear();  // none given: plain RCPT
    EXPECT_EQ(rcpt_command(m, 0, dsn), "RCPT TO:<c@d.test>");
    EXPECT_TRUE(parse_capabilities(*parse_reply("250-mx.test\r\n250 DSN\r\n")).dsn);
}

TEST(Capabilities, ReadsEhloKeywords) {
    auto r = parse_reply(
        "250-mx.test hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n"
        "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n");
    ASSERT_TRUE(r);
    auto c = parse_capabilities(*r);
    EXPECT_TRUE(c.esmtp && c.pipelining && c.starttls && c.eight_bit_mime && c.smtputf8 &&
                c.enhanced_status_codes && c.size);
    EXPECT_EQ(c.size_limit, 10240000u);
    auto bare = parse_capabilities(*parse_reply("250-mx.test\r\n250 SIZE\r\n"));
    EXPECT_TRUE(bare.size);
    EXPECT_EQ(bare.size_limit, 0u);
    EXPECT_FALSE(bare.pipelining);
}

TEST(Status, ClassifiesReplies) {
    auto s = status_of(*parse_reply("550 5.1.1 no such user\r\n"));
    EXPECT_EQ(s.outcome, Outcome::failed);
    EXPECT_EQ(s.enhanced, "5.1.1");
    EXPECT_EQ(s.text, "550 5.1.1 no such user");
    EXPECT_EQ(status_of(*parse_reply("451 try later\r\n")).enhanced, "4.0.0");
    EXPECT_EQ(status_of(*parse_reply("451 try later\r\n")).outcome, Outcome::deferred);
    EXPECT_EQ(status_of(*parse_reply("250 ok\r\n")).outcome, Outcome::delivered);
}
