#include "delivery/next_hop.hpp"

#include <gtest/gtest.h>

#include <set>

#include "dns/error.hpp"

using namespace holdfast;
using namespace holdfast::delivery;

namespace {

dns::Result mx(std::vector<dns::Mx> records) {
    dns::Result r;
    r.answer.type = dns::RrType::mx;
    r.answer.mx = std::move(records);
    return r;
}

dns::Result error(dns::Errc e) {
    dns::Result r;
    r.error = make_error_code(e);
    return r;
}

util::IpAddress ip(const char* s) {
    return *util::parse_ip(s);
}

Hop host(std::string name, std::uint16_t pref, std::vector<const char*> addrs) {
    Hop h{std::move(name), 25, pref, {}};
    for (auto a : addrs) h.addresses.push_back(ip(a));
    return h;
}

std::vector<std::string> names(const std::vector<Hop>& hops) {
    std::vector<std::string> out;
    for (const auto& h : hops) out.push_back(h.host);
    return out;
}

const Self kSelf{"backup.isp.test", {ip("192.0.2.25")}};

}  // namespace

TEST(PlanMx, SortsByPreferenceAndShufflesEqualOnes) {
    std::set<std::vector<std::string>> orders;
    for (std::uint32_t seed = 0; seed < 50; ++seed) {
        auto plan = plan_mx("d.test", mx({{20, "c"}, {10, "a"}, {10, "b"}, {30, "d"}}), seed);
        ASSERT_TRUE(plan.failure.ok());
        auto n = names(plan.hosts);
        ASSERT_EQ(n.size(), 4u);
        EXPECT_EQ(n[2], "c");
        EXPECT_EQ(n[3], "d");
        orders.insert(n);
    }
    // Both orders of the two preference-10 hosts occur: load is spread.
    EXPECT_EQ(orders.size(), 2u);
}

TEST(PlanMx, NoMxMeansTheDomainItself) {
    auto plan = plan_mx("Example.TEST.", error(dns::Errc::no_data), 1);
    ASSERT_TRUE(plan.failure.ok());
    EXPECT_TRUE(plan.implicit);
    EXPECT_EQ(names(plan.hosts), std::vector<std::string>{"example.test"});
}

TEST(PlanMx, NullMxAndNxdomainArePermanentOtherErrorsTemporary) {
    auto null = plan_mx("d.test", mx({{0, ""}}), 1);
    EXPECT_EQ(null.failure.verdict, HopVerdict::permanent);
    EXPECT_EQ(null.failure.dsn, "5.1.10");
    auto nx = plan_mx("d.test", error(dns::Errc::nxdomain), 1);
    EXPECT_EQ(nx.failure.verdict, HopVerdict::permanent);
    EXPECT_EQ(nx.failure.dsn, "5.1.2");
    for (auto e : {dns::Errc::server_failure, dns::Errc::timeout, dns::Errc::refused,
                   dns::Errc::malformed}) {
        auto p = plan_mx("d.test", error(e), 1);
        EXPECT_EQ(p.failure.verdict, HopVerdict::temporary) << static_cast<int>(e);
        EXPECT_EQ(p.failure.dsn[0], '4');
    }
    // A null MX beside real records is ignored, not obeyed.
    auto mixed = plan_mx("d.test", mx({{0, ""}, {10, "mx.d.test"}}), 1);
    EXPECT_TRUE(mixed.failure.ok());
    EXPECT_EQ(names(mixed.hosts), std::vector<std::string>{"mx.d.test"});
}

TEST(Cut, BackupKeepsOnlyBetterHostsAndNeverItself) {
    auto hops = cut("customer.test",
                    {host("primary.customer.test", 10, {"192.0.2.10"}),
                     host("other.customer.test", 20, {"192.0.2.11"}),  // equal to us: dropped
                     host("backup.isp.test", 20, {"192.0.2.25"}),
                     host("worse.customer.test", 30, {"192.0.2.12"})},
                    kSelf);
    ASSERT_TRUE(hops.ok()) << hops.reason;
    EXPECT_EQ(names(hops.hops), std::vector<std::string>{"primary.customer.test"});
}

TEST(Cut, FindsUsByAddressUnderAnotherName) {
    auto hops = cut("customer.test",
                    {host("mx1.customer.test", 5, {"192.0.2.10"}),
                     host("mx2.customer.test", 10, {"2001:db8::1", "192.0.2.25"})},
                    kSelf);
    ASSERT_TRUE(hops.ok());
    EXPECT_EQ(names(hops.hops), std::vector<std::string>{"mx1.customer.test"});
}

TEST(Cut, BestMxIsHeldNotBounced) {
    auto hops =
        cut("customer.test",
            {host("BACKUP.isp.test.", 10, {}), host("primary.customer.test", 20, {"192.0.2.10"})},
            kSelf);
    EXPECT_EQ(hops.verdict, HopVerdict::we_are_best);
    EXPECT_TRUE(hops.hops.empty());
    EXPECT_EQ(hops.dsn[0], '4');  // never a bounce
    // Equal preference with another host is still "best": nothing better to hand to.
    auto tie = cut("customer.test",
                   {host("primary.customer.test", 10, {"192.0.2.10"}),
                    host("backup.isp.test", 10, {"192.0.2.25"})},
                   kSelf);
    EXPECT_EQ(tie.verdict, HopVerdict::we_are_best);
}

TEST(Cut, HostsWithoutAddressesAreSkippedAndNoneLeftIsTemporary) {
    auto some =
        cut("d.test", {host("a.d.test", 10, {}), host("b.d.test", 20, {"192.0.2.2"})}, kSelf);
    ASSERT_TRUE(some.ok());
    EXPECT_EQ(names(some.hops), std::vector<std::string>{"b.d.test"});
    auto none = cut("d.test", {host("a.d.test", 10, {})}, kSelf);
    EXPECT_EQ(none.verdict, HopVerdict::temporary);
}

TEST(Primary, ParsesHostAndPort) {
    auto literal = parse_primary("127.0.0.2:2626");
    ASSERT_TRUE(literal);
    EXPECT_EQ(literal->port, 2626);
    EXPECT_EQ(literal->addresses, std::vector<util::IpAddress>{ip("127.0.0.2")});
    auto named = parse_primary("Mail.Customer.test");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->host, "mail.customer.test");
    EXPECT_EQ(named->port, 25);
    EXPECT_TRUE(named->addresses.empty());
    EXPECT_FALSE(parse_primary("host:notaport"));
}

TEST(SelfFrom, WildcardListenerMakesEveryInterfaceAddressOurs) {
    config::Config c;
    c.server.hostname = "backup.isp.test";
    c.listen.push_back({"0.0.0.0:25", "0.0.0.0", 25, config::Role::mx});
    auto interfaces = [] { return std::vector<util::IpAddress>{ip("127.0.0.1"), ip("10.1.2.3")}; };
    Self s = self_from(c, interfaces);
    // mx-b.isp.test, a service name that resolves to this host's address:
    // the MX walk ends there, as when we are the best MX.
    std::vector<Hop> hosts{{"prim.loop.test", 25, 10, {}},
                           {"mx-b.isp.test", 25, 20, {ip("10.1.2.3")}}};
    EXPECT_EQ(cut("loop.test", hosts, s).verdict, HopVerdict::temporary);  // primary: no address
    hosts[0].addresses.push_back(ip("192.0.2.10"));
    auto hops = cut("loop.test", hosts, s);
    ASSERT_EQ(hops.verdict, HopVerdict::ok);
    ASSERT_EQ(hops.hops.size(), 1u);
    EXPECT_EQ(hops.hops[0].host, "prim.loop.test");
    // 0.0.0.0 itself is nobody's address.
    EXPECT_EQ(std::count(s.addresses.begin(), s.addresses.end(), ip("0.0.0.0")), 0);
}

TEST(SelfFrom, SpecificListenersDoNotReadInterfacesButServerAddressesCount) {
    config::Config c;
    c.listen.push_back({"127.0.0.1:25", "127.0.0.1", 25, config::Role::mx});
    c.server.addresses.push_back(ip("198.51.100.25"));  // behind NAT
    bool asked = false;
    Self s = self_from(c, [&] {
        asked = true;
        return std::vector<util::IpAddress>{ip("10.1.2.3")};
    });
    EXPECT_FALSE(asked);
    EXPECT_TRUE(s.is(Hop{"mx-b.isp.test", 25, 20, {ip("198.51.100.25")}}));
    EXPECT_TRUE(s.is(Hop{"other", 25, 20, {ip("127.0.0.1")}}));
    EXPECT_FALSE(s.is(Hop{"other", 25, 20, {ip("10.1.2.3")}}));
}

TEST(SelfFrom, WildcardV6ListenerToo) {
    config::Config c;
    c.listen.push_back({"[::]:25", "::", 25, config::Role::mx});
    Self s = self_from(c, [] { return std::vector<util::IpAddress>{ip("::1"), ip("127.0.0.1")}; });
    EXPECT_TRUE(s.is(Hop{"x", 25, 20, {ip("::1")}}));
    EXPECT_TRUE(s.is(Hop{"x", 25, 20, {ip("127.0.0.1")}}));
}
