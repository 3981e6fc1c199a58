// The parallel lookup and the server's checker against a scripted DNS
// server: every status, the deadline with a silent zone, weights.
#include "dnsbl/lookup.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include "dns/test_packets.hpp"
#include "dns/test_server.hpp"
#include "dnsbl/checker.hpp"
#include "dnsbl/report.hpp"

namespace holdfast::dnsbl {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using dns::test::Packet;

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// bl.test lists 127.0.0.2 and 192.0.2.10 (with TXT); all.test lists
// everything; err.test answers 127.255.255.254; fail.test SERVFAILs;
// dead.test never answers; anything else is NXDOMAIN.
std::optional<std::vector<std::uint8_t>> zones(const dns::Message& m) {
    const dns::Question& q = m.questions[0];
    auto a = [&](std::vector<std::uint8_t> addr) {
        return Packet(m.id, 0, 1, 1).question(q.name, q.type).rr(q.name, q.type, 60, addr).b;
    };
    bool listed = q.name == "2.0.0.127.bl.test" || q.name == "10.2.0.192.bl.test";
    if (ends_with(q.name, ".dead.test")) return std::nullopt;
    if (ends_with(q.name, ".fail.test")) return Packet(m.id, 2, 1, 0).question(q.name, q.type).b;
    if (q.type == 16 && listed) return a(dns::test::txt_rdata("listed for testing"));
    if (q.type == 1 && listed) return a({127, 0, 0, 2});
    if (q.type == 1 && ends_with(q.name, ".all.test")) return a({127, 0, 0, 2});
    if (q.type == 1 && ends_with(q.name, ".err.test")) return a({127, 255, 255, 254});
    return Packet(m.id, 3, 1, 0).question(q.name, q.type).b;
}

struct Fixture : ::testing::Test {
    dns::test::Server server{zones};
    dns::Resolver resolver{dns::ResolverOptions{{server.address()}, 2000ms, 1, 1000}};

    Report run(std::string target, std::vector<std::string> z, LookupOptions o) {
        asio::io_context io;
        Report out;
        asio::co_spawn(io, lookup(resolver, *parse_target(target), std::move(z), o),
                       [&](std::exception_ptr e, Report r) {
                           ASSERT_FALSE(e);
                           out = std::move(r);
                       });
        io.run();
        return out;
    }
};

using Lookup = Fixture;

TEST_F(Lookup, EveryStatusWithinTheDeadline) {
    LookupOptions o;
    o.query_timeout = 300ms;
    o.deadline = 600ms;
    auto start = std::chrono::steady_clock::now();
    Report r = run("192.0.2.10",
                   {"bl.test", "clean.test", "all.test", "err.test", "fail.test", "dead.test"}, o);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
    ASSERT_EQ(r.zones.size(), 6u);
    EXPECT_EQ(r.zones[0].status, Status::listed);
    EXPECT_EQ(r.zones[0].codes.at(0).address, "127.0.0.2");
    EXPECT_EQ(r.zones[0].txt, "listed for testing");
    EXPECT_EQ(r.zones[1].status, Status::clean);
    EXPECT_EQ(r.zones[2].status, Status::broken);  // lists 127.0.0.1
    EXPECT_EQ(r.zones[3].status, Status::error);
    EXPECT_EQ(r.zones[3].codes.at(0).address, "127.255.255.254");
    EXPECT_EQ(r.zones[4].status, Status::error);
    EXPECT_EQ(r.zones[5].status, Status::timeout);
    EXPECT_TRUE(r.listed());
    EXPECT_EQ(exit_status(r), 1);
    auto j = to_json(r);
    EXPECT_EQ(j["query"], "192.0.2.10");
    EXPECT_EQ(j["listed"], true);
    EXPECT_EQ(j["zones"][0]["status"], "listed");
    EXPECT_EQ(j["zones"][0]["codes"][0], "127.0.0.2");
    EXPECT_EQ(j["zones"][0]["txt"], "listed for testing");
    EXPECT_NE(format_text(r).find("LISTED on 1 of 6 zones"), std::string::npos);
}

TEST_F(Lookup, CleanAndIncompleteExitStatus) {
    LookupOptions o;
    o.query_timeout = 200ms;
    o.deadline = 400ms;
    EXPECT_EQ(exit_status(run("192.0.2.20", {"bl.test", "clean.test"}, o)), 0);
    EXPECT_EQ(exit_status(run("192.0.2.20", {"bl.test", "dead.test"}, o)), 2);
    EXPECT_EQ(exit_status(run("192.0.2.20", {}, o)), 2);
}

TEST_F(Lookup, HealthMarksZonesWithoutTestEntryBroken) {
    LookupOptions o;
    o.health = true;
    o.query_timeout = 200ms;
    o.deadline = 400ms;
    Report r = run("192.0.2.20", {"bl.test", "clean.test", "dead.test"}, o);
    EXPECT_EQ(r.zones[0].status, Status::clean);
    EXPECT_EQ(r.zones[1].status, Status::broken);
    EXPECT_NE(r.zones[1].detail.find("127.0.0.2 not listed"), std::string::npos);
    EXPECT_EQ(r.zones[2].status, Status::broken);
}

TEST_F(Lookup, CheckerWeightsExemptionsAndFailOpen) {
    config::Dnsbl cfg;
    cfg.zones = {"bl.test", "dead.test", "err.test"};
    cfg.deadline = 1s;
    cfg.threshold = 2;
    cfg.weights = {{"bl.test", 1.5}};
    cfg.allow = {*util::parse_network("192.0.2.128/25")};
    Checker checker(resolver, cfg, {*util::parse_network("10.0.0.0/8")});
    auto check = [&](const char* ip) {
        asio::io_context io;
        Verdict v;
        asio::co_spawn(io, checker.check(*util::parse_ip(ip)),
                       [&](std::exception_ptr, Verdict r) { v = r; });
        io.run();
        return v;
    };
    Verdict v = check("192.0.2.10");
    EXPECT_TRUE(v.checked);
    ASSERT_EQ(v.listings.size(), 1u);
    EXPECT_EQ(v.score, 1.5);
    EXPECT_FALSE(v.blocked);  // 1.5 < 2
    EXPECT_EQ(v.failed.size(), 2u);

    cfg.threshold = 1;
    Checker strict(resolver, cfg, {});
    asio::io_context io;
    Verdict s;
    asio::co_spawn(io, strict.check(*util::parse_ip("192.0.2.10")),
                   [&](std::exception_ptr, Verdict r) { s = r; });
    io.run();
    EXPECT_TRUE(s.reject);
    EXPECT_EQ(s.reply_text(*util::parse_ip("192.0.2.10")),
              "Service unavailable; client [192.0.2.10] blocked using bl.test; listed for testing");

    EXPECT_FALSE(check("192.0.2.200").checked);  // [dnsbl] allow
    EXPECT_FALSE(check("10.1.2.3").checked);     // relay networks
    Verdict clean = check("192.0.2.20");
    EXPECT_TRUE(clean.checked);
    EXPECT_FALSE(clean.blocked);
}

}  // namespace
}  // namespace holdfast::dnsbl
