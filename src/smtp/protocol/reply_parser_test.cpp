#include "smtp/protocol/reply_parser.hpp"

#include <gtest/gtest.h>

#include <string>

using holdfast::smtp::enhanced_code_length;
using holdfast::smtp::parse_reply;
using holdfast::smtp::Reply;
using holdfast::smtp::ReplyError;
using holdfast::smtp::ReplyLimits;
using holdfast::smtp::ReplyParser;

TEST(ReplyParser, SingleLineWithEnhancedCode) {
    auto r = parse_reply("250 2.1.5 Ok\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 250);
    EXPECT_EQ(r->enhanced, "2.1.5");
    ASSERT_EQ(r->lines.size(), 1u);
    EXPECT_EQ(r->lines[0], "Ok");
    EXPECT_EQ(r->summary(), "250 2.1.5 Ok");
}

TEST(ReplyParser, MultiLineEhlo) {
    auto r =
        parse_reply("250-mx.test Hello\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 1000\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 250);
    EXPECT_EQ(r->enhanced, "");
    ASSERT_EQ(r->lines.size(), 4u);
    EXPECT_EQ(r->lines[2], "STARTTLS");
    EXPECT_EQ(r->lines[3], "SIZE 1000");
}

TEST(ReplyParser, EnhancedCodeOnEveryLineIsLifted) {
    auto r = parse_reply("550-5.7.1 first\r\n550 5.7.1 second\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->enhanced, "5.7.1");
    EXPECT_EQ(r->lines[0], "first");
    EXPECT_EQ(r->lines[1], "second");
    EXPECT_EQ(r->wire(), "550-5.7.1 first\r\n550 5.7.1 second\r\n");
}

TEST(ReplyParser, EnhancedCodeOfTheWrongClassIsText) {
    auto r = parse_reply("250 5.1.1 odd\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->enhanced, "");
    EXPECT_EQ(r->lines[0], "5.1.1 odd");
    EXPECT_EQ(enhanced_code_length("4.7.1", 4), 5u);
    EXPECT_EQ(enhanced_code_length("5.100.999 x", 5), 9u);
    EXPECT_EQ(enhanced_code_length("5.1000.1", 5), 0u);
    EXPECT_EQ(enhanced_code_length("5.1.1x", 5), 0u);
    EXPECT_EQ(enhanced_code_length("5..1", 5), 0u);
    EXPECT_EQ(enhanced_code_length("5.1.", 5), 0u);
}

TEST(ReplyParser, CodeAloneAndBareLf) {
    auto r = parse_reply("250\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 250);
    EXPECT_EQ(r->lines.size(), 1u);
    // A bare LF ends a line: servers do this, and we read replies, not judge them.
    r = parse_reply("220-a\n220 b\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->lines.size(), 2u);
}

TEST(ReplyParser, IncrementalByteByByte) {
    std::string wire = "220 mx.test ESMTP\r\n250-mx.test\r\n250 8BITMIME\r\n";
    ReplyParser p;
    std::vector<Reply> got;
    std::vector<std::string> raws;
    for (char c : wire) {
        p.feed(std::string_view(&c, 1));
        for (;;) {
            auto r = p.next();
            ASSERT_EQ(r.error, ReplyError::none);
            if (!r.reply) break;
            got.push_back(*r.reply);
            raws.push_back(r.raw);
        }
    }
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].code, 220);
    EXPECT_EQ(got[1].lines[1], "8BITMIME");
    EXPECT_EQ(raws[1], "250-mx.test\r\n250 8BITMIME\r\n");
    EXPECT_FALSE(p.has_partial());
}

TEST(ReplyParser, MissingCrlfIsIncompleteNotAReply) {
    ReplyParser p;
    p.feed("250 Ok");
    auto r = p.next();
    EXPECT_FALSE(r.reply);
    EXPECT_EQ(r.error, ReplyError::none);
    EXPECT_TRUE(p.has_partial());
    EXPECT_FALSE(parse_reply("250 Ok"));
    // A multi-line reply without its last line is not complete either.
    p = ReplyParser();
    p.feed("250-first\r\n");
    EXPECT_FALSE(p.next().reply);
    EXPECT_TRUE(p.has_partial());
}

TEST(ReplyParser, BadCodes) {
    for (const char* bad : {"abc ok\r\n", "25 ok\r\n", "2500 ok\r\n", "650 x\r\n", "190 x\r\n",
                            "260 x\r\n", "250x\r\n", "\r\n", " 250 x\r\n", "25\r\n"}) {
        ReplyParser p;
        p.feed(bad);
        EXPECT_EQ(p.next().error, ReplyError::bad_code) << bad;
    }
}

TEST(ReplyParser, MixedCodesAcrossLines) {
    ReplyParser p;
    p.feed("250-first\r\n550 second\r\n");
    EXPECT_EQ(p.next().error, ReplyError::mixed_codes);
    // Sticky: the stream cannot be trusted after this.
    p.feed("250 ok\r\n");
    EXPECT_EQ(p.next().error, ReplyError::mixed_codes);
}

TEST(ReplyParser, OverLongLines) {
    ReplyParser p(ReplyLimits{.max_line = 64, .max_lines = 10});
    p.feed("250 " + std::string(100, 'x') + "\r\n");
    EXPECT_EQ(p.next().error, ReplyError::line_too_long);
    // Also when the line has not ended yet: do not buffer without bound.
    ReplyParser q(ReplyLimits{.max_line = 64, .max_lines = 10});
    q.feed("250 " + std::string(100, 'x'));
    EXPECT_EQ(q.next().error, ReplyError::line_too_long);
}

TEST(ReplyParser, TooManyLines) {
    ReplyParser p(ReplyLimits{.max_line = 64, .max_lines = 3});
    p.feed("250-a\r\n250-b\r\n250-c\r\n250-d\r\n250 e\r\n");
    EXPECT_EQ(p.next().error, ReplyError::too_many_lines);
}

TEST(ReplyParser, NulByte) {
    ReplyParser p;
    p.feed(std::string("250 o\0k\r\n", 9));
    EXPECT_EQ(p.next().error, ReplyError::nul_byte);
    EXPECT_EQ(describe(ReplyError::nul_byte), "NUL byte in reply");
}

TEST(ReplyParser, TwoRepliesInOneRead) {
    ReplyParser p;
    p.feed("250 2.0.0 Ok\r\n550 5.7.1 <x@y>: relaying denied\r\n");
    auto a = p.next();
    auto b = p.next();
    ASSERT_TRUE(a.reply && b.reply);
    EXPECT_EQ(b.reply->code, 550);
    EXPECT_EQ(b.reply->lines[0], "<x@y>: relaying denied");
    EXPECT_FALSE(p.next().reply);
}

TEST(ReplyParser, TrailingBytesMakeParseReplyFail) {
    EXPECT_FALSE(parse_reply("250 ok\r\n250 again\r\n"));
    EXPECT_FALSE(parse_reply(""));
}
