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

TEST(DotStuff, DropsNulOctets) {
    EXPECT_EQ(dot_stuff(std::string_view("a\0b\r\n\0\r\n", 7)), "ab\r\n\r\n.\r\n");
}

// Every line of the result: at most 998 octets before its CRLF, no bare
// CR or LF, no NUL.
void expect_clean_lines(const std::string& wire) {
    ASSERT_TRUE(wire.ends_with("\r\n.\r\n") || wire == ".\r\n");
    std::size_t start = 0;
    while (start < wire.size()) {
        auto end = wire.find("\r\n", start);
        ASSERT_NE(end, std::string::npos);
        std::string_view line(wire.data() + start, end - start);
        EXPECT_LE(line.size(), kMaxLineOctets);
        EXPECT_EQ(line.find_first_of(std::string_view("\r\n\0", 3)), std::string_view::npos);
        start = end + 2;
    }
}

TEST(DotStuff, BreaksLongLinesWithAContinuation) {
    std::string header = "X-Long: ";
    header.append(2500, 'a');
    std::string wire = dot_stuff(header + "\r\n\r\nbody\r\n");
    expect_clean_lines(wire);
    // Folded, not cut: taking out each inserted CRLF SPACE gives the
    // header back.
    std::string first_line = wire.substr(0, wire.find("\r\n\r\n"));
    EXPECT_EQ(first_line.substr(0, kMaxLineOctets), header.substr(0, kMaxLineOctets));
    EXPECT_NE(first_line.find("\r\n a"), std::string::npos);
    std::string unfolded;
    for (std::size_t i = 0; i < first_line.size(); ++i) {
        if (first_line.compare(i, 3, "\r\n ") == 0) {
            i += 2;
            continue;
        }
        unfolded += first_line[i];
    }
    EXPECT_EQ(unfolded, header);
    // A line of exactly 998 octets is left alone.
    std::string exact(998, 'b');
    std::string exact_wire = exact;
    exact_wire.append("\r\n.\r\n");
    EXPECT_EQ(dot_stuff(exact), exact_wire);
    // A doubled leading dot counts towards the limit.
    std::string dotted(999, 'c');
    dotted[0] = '.';
    expect_clean_lines(dot_stuff(dotted));
    std::string mixed(5000, '.');
    mixed.append(1, '\n').append(3000, 'x').append(1, '\r');
    expect_clean_lines(dot_stuff(mixed));
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
