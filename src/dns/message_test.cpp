#include "dns/message.hpp"

#include <gtest/gtest.h>

#include "dns/test_packets.hpp"

namespace holdfast::dns {
namespace {

using test::Packet;

TEST(Message, ParsesAnswerWithCompression) {
    Packet p(7, 0, 1, 2);
    p.question("Example.ORG", 15);  // name at offset 12
    // MX 10 mail.<pointer to the question's name>
    p.pointer(12).u16(15).u16(1).u32(300).u16(9).u16(10);
    p.u8(4).u8('m').u8('a').u8('i').u8('l').pointer(12);
    p.rr("example.org", 16, 60, test::txt_rdata("v=spf1 -all"));
    auto m = parse_message(p.b);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, 7);
    EXPECT_TRUE(m->response);
    ASSERT_EQ(m->questions.size(), 1u);
    EXPECT_EQ(m->questions[0].name, "example.org");
    ASSERT_EQ(m->answers.size(), 2u);
    EXPECT_EQ(m->answers[0].preference, 10);
    EXPECT_EQ(m->answers[0].target, "mail.example.org");
    ASSERT_EQ(m->answers[1].strings.size(), 1u);
    EXPECT_EQ(m->answers[1].strings[0], "v=spf1 -all");
}

TEST(Message, RefusesTruncatedHeaderAndRecords) {
    Packet p(1, 0, 1, 1);
    p.question("a.test", 1).rr("a.test", 1, 60, {127, 0, 0, 2});
    ASSERT_TRUE(parse_message(p.b));
    for (std::size_t n = 0; n < p.b.size(); ++n) {
        std::vector<std::uint8_t> cut(p.b.begin(), p.b.begin() + n);
        EXPECT_FALSE(parse_message(cut)) << "cut at " << n;
    }
}

TEST(Message, RefusesCompressionLoops) {
    Packet self(1, 0, 1, 0);
    self.pointer(12).u16(1).u16(1);  // the question's name points at itself
    EXPECT_FALSE(parse_message(self.b));

    Packet forward(1, 0, 1, 0);
    forward.pointer(14).u8(0).u16(1).u16(1);  // forward pointers are refused too
    EXPECT_FALSE(parse_message(forward.b));

    Packet pair(1, 0, 2, 0);  // second name -> first -> second ...
    pair.u8(1).u8('a').pointer(19).u16(1).u16(1);
    pair.pointer(12).u16(1).u16(1);
    EXPECT_FALSE(parse_message(pair.b));
}

TEST(Message, RefusesBadLengths) {
    Packet a_len(1, 0, 1, 1);
    a_len.question("a.test", 1).rr("a.test", 1, 60, {127, 0, 0, 2, 9});  // A with 5 octets
    EXPECT_FALSE(parse_message(a_len.b));

    Packet txt_len(1, 0, 1, 1);
    txt_len.question("a.test", 16).rr("a.test", 16, 60, {5, 'a', 'b'});  // string runs past RDATA
    EXPECT_FALSE(parse_message(txt_len.b));

    Packet mx_len(1, 0, 1, 1);
    auto rdata = test::wire_name("mx.test");
    rdata.insert(rdata.begin(), {0, 10});
    rdata.push_back(0);  // one stray octet after the name
    mx_len.question("a.test", 15).rr("a.test", 15, 60, rdata);
    EXPECT_FALSE(parse_message(mx_len.b));

    Packet label(1, 0, 1, 0);
    label.u8(0x40).u8(0).u16(1).u16(1);  // extended label type
    EXPECT_FALSE(parse_message(label.b));

    Packet counts(1, 0, 1, 3);  // claims three answers, has none
    counts.question("a.test", 1);
    EXPECT_FALSE(parse_message(counts.b));
}

TEST(Message, RefusesNamesOver255Octets) {
    Packet p(1, 0, 1, 0);
    for (int i = 0; i < 5; ++i) p.u8(60).b.insert(p.b.end(), 60, 'x');
    p.u8(0).u16(1).u16(1);
    EXPECT_FALSE(parse_message(p.b));
}

TEST(Message, EscapesOddBytesInLabels) {
    Packet p(1, 0, 1, 0);
    p.u8(3).u8('a').u8('.').u8('b').u8(4).u8('t').u8('e').u8('s').u8('t').u8(0).u16(1).u16(1);
    auto m = parse_message(p.b);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->questions[0].name, "a\\046b.test");  // not the two labels "a" and "b"
}

TEST(Message, SkipsUnknownTypesAndReadsHighTtlAsZero) {
    Packet p(1, 0, 1, 2);
    p.question("a.test", 1)
        .rr("a.test", 99, 60, {1, 2, 3})
        .rr("a.test", 1, 0x80000000u, {127, 0, 0, 2});
    auto m = parse_message(p.b);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->answers.size(), 2u);
    EXPECT_EQ(m->answers[1].ttl, 0u);
}

TEST(Message, CanonicalName) {
    EXPECT_EQ(canonical_name("Zen.Spamhaus.ORG."), "zen.spamhaus.org");
    EXPECT_EQ(canonical_name(""), "");
}

}  // namespace
}  // namespace holdfast::dns
