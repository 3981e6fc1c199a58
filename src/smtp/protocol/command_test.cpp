#include "smtp/protocol/command.hpp"

#include <gtest/gtest.h>

using namespace holdfast::smtp;

namespace {
Command ok(std::string_view line) {
    CommandParse p = parse_command(line);
    EXPECT_TRUE(p.command) << line << " -> " << p.error.summary();
    return p.command.value_or(Command{});
}
Reply bad(std::string_view line) {
    CommandParse p = parse_command(line);
    EXPECT_FALSE(p.command) << line;
    return p.error;
}
}  // namespace

TEST(Command, Verbs) {
    EXPECT_EQ(ok("ehlo client.test").verb, Verb::ehlo);
    EXPECT_EQ(ok("EHLO client.test").argument, "client.test");
    EXPECT_EQ(ok("HELO [192.0.2.1]").verb, Verb::helo);
    EXPECT_EQ(ok("DATA").verb, Verb::data);
    EXPECT_EQ(ok("QUIT").verb, Verb::quit);
    EXPECT_EQ(ok("StartTLS").verb, Verb::starttls);
    EXPECT_EQ(ok("NOOP anything").verb, Verb::noop);
    EXPECT_EQ(ok("VRFY alice").argument, "alice");
    EXPECT_EQ(ok("AUTH PLAIN AGFsaWNlAHM=").argument, "PLAIN AGFsaWNlAHM=");
}

TEST(Command, MailAndRcpt) {
    Command m = ok("MAIL FROM:<alice@example.test> SIZE=1234 BODY=8BITMIME");
    EXPECT_EQ(m.address.str(), "alice@example.test");
    EXPECT_EQ(m.mail.size, 1234u);
    EXPECT_EQ(m.mail.body, Body::eight_bit_mime);
    EXPECT_TRUE(ok("mail from:<>").address.is_null());
    EXPECT_TRUE(ok("MAIL FROM: <a@b.test>").address.domain ==
                "b.test");  // space after colon tolerated
    Command r = ok("RCPT TO:<@relay.test:bob@example.test>");
    EXPECT_EQ(r.address.str(), "bob@example.test");
    EXPECT_TRUE(r.address.had_route);
    EXPECT_EQ(ok("RCPT TO:<Postmaster>").address.local, "Postmaster");
    Command u = ok("MAIL FROM:<j\xc3\xb6rg@example.test> SMTPUTF8");
    EXPECT_TRUE(u.address_has_utf8);
    EXPECT_TRUE(u.mail.smtputf8);
}

TEST(Command, ErrorsCarryTheRightCodes) {
    EXPECT_EQ(bad("XYZZY").code, 500);
    EXPECT_EQ(bad("XYZZY").enhanced, "5.5.1");
    EXPECT_EQ(bad("").code, 500);
    EXPECT_EQ(bad("EHLO").code, 501);
    EXPECT_EQ(bad("HELO   ").code, 501);
    EXPECT_EQ(bad("DATA now").code, 501);
    EXPECT_EQ(bad("QUIT x").code, 501);
    EXPECT_EQ(bad("MAIL TO:<a@b.test>").code, 501);
    EXPECT_EQ(bad("MAIL FROM:a@b.test").enhanced, "5.1.7");
    EXPECT_EQ(bad("RCPT TO:<>").enhanced, "5.1.3");
    EXPECT_EQ(bad("RCPT TO:<a@b.test> XNOTIFY=NEVER").code, 555);
    EXPECT_EQ(bad("RCPT TO:<a@b.test>x").code, 501);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> SIZE=abc").code, 501);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> SIZE=1 SIZE=2").code, 501);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> SIZE=99999999999999999999999").code, 501);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> BODY=BINARYMIME").code, 501);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> XRET=FULL").code, 555);
    EXPECT_EQ(bad("MAIL FROM:<a@b.test> SMTPUTF8=yes").code, 555);
    EXPECT_EQ(bad(std::string("NO\0OP", 5)).enhanced, "5.5.2");
    EXPECT_EQ(bad("NOOP\x1b[2J").code, 500);
    EXPECT_EQ(bad("AUTH").code, 501);
}

TEST(Command, VerbMustBeAWholeWord) {
    EXPECT_EQ(bad("DATAX").code, 500);
    EXPECT_EQ(bad("MAILFROM:<a@b.test>").code, 500);
}

TEST(Command, Etrn) {
    EXPECT_EQ(ok("ETRN customer.test").verb, Verb::etrn);
    EXPECT_EQ(ok("etrn  @customer.test ").argument, "@customer.test");
    EXPECT_EQ(ok("ETRN #queue").argument, "#queue");
    EXPECT_EQ(bad("ETRN").code, 501);
    EXPECT_EQ(bad("ETRN   ").enhanced, "5.5.4");
    EXPECT_EQ(bad("ETRNX customer.test").code, 500);
    EXPECT_EQ(bad("ETRN a\x01.test").code, 500);
}
