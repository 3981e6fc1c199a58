#include "dns/interpret.hpp"

#include <gtest/gtest.h>

#include "dns/test_packets.hpp"

namespace holdfast::dns {
namespace {

using test::Packet;

TEST(Interpret, AddressesAndSmallestTtl) {
    Packet p(1, 0, 1, 2);
    p.question("2.0.0.127.bl.test", 1)
        .rr("2.0.0.127.bl.test", 1, 300, {127, 0, 0, 2})
        .rr("2.0.0.127.bl.test", 1, 120, {127, 0, 0, 4});
    Result r = interpret_response(p.b, "2.0.0.127.BL.test.", RrType::a);
    ASSERT_FALSE(r.error) << r.error.message();
    ASSERT_EQ(r.answer.addresses.size(), 2u);
    EXPECT_EQ(r.answer.addresses[0].str(), "127.0.0.2");
    EXPECT_EQ(r.answer.addresses[1].str(), "127.0.0.4");
    EXPECT_EQ(r.answer.ttl, 120u);
}

TEST(Interpret, RcodesToldApart) {
    auto with_rcode = [](std::uint8_t rcode) {
        Packet p(1, rcode, 1, 0, 1);
        p.question("x.test", 1).rr("test", 6, 900, test::soa_rdata(300));
        return interpret_response(p.b, "x.test", RrType::a);
    };
    Result nx = with_rcode(3);
    EXPECT_EQ(nx.error, Errc::nxdomain);
    EXPECT_EQ(nx.answer.ttl, 300u);  // min(SOA TTL, MINIMUM)
    EXPECT_TRUE(is_permanent(nx.error));
    EXPECT_EQ(with_rcode(2).error, Errc::server_failure);
    EXPECT_EQ(with_rcode(5).error, Errc::refused);
    EXPECT_EQ(with_rcode(4).error, Errc::failure);
    EXPECT_FALSE(is_permanent(with_rcode(2).error));
    EXPECT_EQ(with_rcode(0).error, Errc::no_data);
}

TEST(Interpret, FollowsCnameAndIgnoresStrayRecords) {
    Packet p(1, 0, 1, 3);
    auto target = test::wire_name("real.test");
    p.question("alias.test", 1)
        .rr("other.test", 1, 60, {10, 0, 0, 1})  // not on the chain: ignored
        .rr("alias.test", 5, 30, target)
        .rr("real.test", 1, 60, {192, 0, 2, 1});
    Result r = interpret_response(p.b, "alias.test", RrType::a);
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.answer.addresses.size(), 1u);
    EXPECT_EQ(r.answer.addresses[0].str(), "192.0.2.1");
    EXPECT_EQ(r.answer.ttl, 30u);
}

TEST(Interpret, CnameLoopIsNoData) {
    Packet p(1, 0, 1, 2);
    p.question("a.test", 1)
        .rr("a.test", 5, 30, test::wire_name("b.test"))
        .rr("b.test", 5, 30, test::wire_name("a.test"));
    EXPECT_EQ(interpret_response(p.b, "a.test", RrType::a).error, Errc::no_data);
}

TEST(Interpret, MxSortedByPreferenceAndNullMx) {
    Packet p(1, 0, 1, 3);
    auto mx = [](std::uint16_t pref, std::string_view host) {
        std::vector<std::uint8_t> r{static_cast<std::uint8_t>(pref >> 8),
                                    static_cast<std::uint8_t>(pref)};
        auto n = test::wire_name(host);
        r.insert(r.end(), n.begin(), n.end());
        return r;
    };
    p.question("d.test", 15)
        .rr("d.test", 15, 60, mx(20, "b.mx.test"))
        .rr("d.test", 15, 60, mx(10, "A.MX.test"))
        .rr("d.test", 15, 60, mx(0, ""));
    Result r = interpret_response(p.b, "d.test", RrType::mx);
    ASSERT_FALSE(r.error);
    ASSERT_EQ(r.answer.mx.size(), 3u);
    EXPECT_EQ(r.answer.mx[0], (Mx{0, ""}));
    EXPECT_EQ(r.answer.mx[1], (Mx{10, "a.mx.test"}));
    EXPECT_EQ(r.answer.mx[2], (Mx{20, "b.mx.test"}));
}

TEST(Interpret, TxtStringsJoined) {
    Packet p(1, 0, 1, 1);
    auto rdata = test::txt_rdata("Listed: ");
    auto more = test::txt_rdata("see https://example.test/");
    rdata.insert(rdata.end(), more.begin(), more.end());
    p.question("t.test", 16).rr("t.test", 16, 60, rdata);
    Result r = interpret_response(p.b, "t.test", RrType::txt);
    ASSERT_EQ(r.answer.texts.size(), 1u);
    EXPECT_EQ(r.answer.texts[0], "Listed: see https://example.test/");
}

TEST(Interpret, MismatchedQuestionOrGarbageIsMalformed) {
    Packet p(1, 0, 1, 1);
    p.question("evil.test", 1).rr("evil.test", 1, 60, {127, 0, 0, 2});
    EXPECT_EQ(interpret_response(p.b, "asked.test", RrType::a).error, Errc::malformed);
    EXPECT_EQ(interpret_response(p.b, "evil.test", RrType::aaaa).error, Errc::malformed);
    std::vector<std::uint8_t> junk{1, 2, 3};
    EXPECT_EQ(interpret_response(junk, "x.test", RrType::a).error, Errc::malformed);
}

}  // namespace
}  // namespace holdfast::dns
