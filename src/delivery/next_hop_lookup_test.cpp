// find_next_hops against a scripted DNS server on 127.0.0.1.
#include "delivery/next_hop_lookup.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "dns/test_packets.hpp"
#include "dns/test_server.hpp"

using namespace holdfast;
using namespace holdfast::delivery;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using dns::test::Packet;

namespace {

std::vector<std::uint8_t> mx_rdata(std::uint16_t pref, std::string_view host) {
    auto r = host.empty() ? std::vector<std::uint8_t>{0} : dns::test::wire_name(host);
    r.insert(r.begin(), {static_cast<std::uint8_t>(pref >> 8), static_cast<std::uint8_t>(pref)});
    return r;
}

// customer.test: MX 10 primary, MX 20 backup (us); best.test: MX 10 us;
// nomx.test: no MX, an A record; null.test: null MX; nx.test: NXDOMAIN;
// broken.test: SERVFAIL.
std::optional<std::vector<std::uint8_t>> zone(const dns::Message& m) {
    const auto& q = m.questions[0];
    auto answer = [&](std::uint16_t type, std::vector<std::vector<std::uint8_t>> rdatas) {
        Packet p(m.id, 0, 1, static_cast<std::uint16_t>(rdatas.size()), rdatas.empty() ? 1 : 0);
        p.question(q.name, q.type);
        for (auto& rd : rdatas) p.rr(q.name, type, 300, rd);
        if (rdatas.empty()) p.rr("test", 6, 60, dns::test::soa_rdata(60));
        return p.b;
    };
    auto t = static_cast<dns::RrType>(q.type);
    if (q.name == "nx.test") return Packet(m.id, 3, 1, 0).question(q.name, q.type).b;
    if (q.name == "broken.test") return Packet(m.id, 2, 1, 0).question(q.name, q.type).b;
    if (t == dns::RrType::mx) {
        if (q.name == "customer.test")
            return answer(15,
                          {mx_rdata(20, "backup.isp.test"), mx_rdata(10, "primary.customer.test")});
        if (q.name == "best.test") return answer(15, {mx_rdata(10, "backup.isp.test")});
        if (q.name == "null.test") return answer(15, {mx_rdata(0, "")});
        return answer(15, {});
    }
    if (t == dns::RrType::a) {
        if (q.name == "primary.customer.test") return answer(1, {{127, 0, 0, 2}});
        if (q.name == "backup.isp.test") return answer(1, {{127, 0, 0, 1}});
        if (q.name == "nomx.test") return answer(1, {{127, 0, 0, 5}});
    }
    return answer(static_cast<std::uint16_t>(q.type), {});
}

asio::awaitable<void> lookup(NextHops* out, dns::Resolver* r, std::string domain,
                             std::string primary) {
    Self self{"backup.isp.test", {*util::parse_ip("127.0.0.1")}};
    *out = co_await find_next_hops(*r, domain, self, primary, 7);
}

NextHops run(const std::string& domain, const std::string& primary = "") {
    dns::test::Server server(zone);
    dns::ResolverOptions o;
    o.servers = {server.address()};
    o.timeout = 300ms;
    o.tries = 1;
    o.cache_entries = 0;
    dns::Resolver resolver(o);
    asio::io_context io;
    NextHops out;
    asio::co_spawn(io, lookup(&out, &resolver, domain, primary), asio::detached);
    io.run();
    return out;
}

}  // namespace

TEST(FindNextHops, BackupHandsToThePrimaryOnly) {
    auto h = run("customer.test");
    ASSERT_TRUE(h.ok()) << h.reason;
    ASSERT_EQ(h.hops.size(), 1u);
    EXPECT_EQ(h.hops[0].host, "primary.customer.test");
    EXPECT_EQ(h.hops[0].addresses.at(0).str(), "127.0.0.2");
}

TEST(FindNextHops, BestMxHolds) {
    EXPECT_EQ(run("best.test").verdict, HopVerdict::we_are_best);
}

TEST(FindNextHops, ImplicitMx) {
    auto h = run("nomx.test");
    ASSERT_TRUE(h.ok()) << h.reason;
    EXPECT_EQ(h.hops.at(0).host, "nomx.test");
    EXPECT_EQ(h.hops.at(0).addresses.at(0).str(), "127.0.0.5");
    EXPECT_EQ(run("empty.test").verdict, HopVerdict::permanent);  // no MX, no address
}

TEST(FindNextHops, Failures) {
    EXPECT_EQ(run("null.test").verdict, HopVerdict::permanent);
    EXPECT_EQ(run("nx.test").verdict, HopVerdict::permanent);
    EXPECT_EQ(run("broken.test").verdict, HopVerdict::temporary);
}

TEST(FindNextHops, ConfiguredPrimaryOverridesDns) {
    auto h = run("best.test", "127.0.0.9:2626");
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h.hops.at(0).port, 2626);
    EXPECT_EQ(h.hops.at(0).addresses.at(0).str(), "127.0.0.9");
}
