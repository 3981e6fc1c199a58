#include "spf/check.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <map>
#include <set>

#include "dns/error.hpp"

namespace holdfast::spf {
namespace {
namespace asio = boost::asio;

// The evaluator over an in-memory zone (integration tests use dnsmasq).
struct Zone {
    std::map<std::pair<std::string, dns::RrType>, dns::Result> records;
    std::set<std::string> failing;  // every query for these names: SERVFAIL
    unsigned queries = 0;

    void txt(const std::string& name, std::vector<std::string> texts) {
        records[{name, dns::RrType::txt}].answer.texts = std::move(texts);
    }
    void a(const std::string& name, const std::string& ip) {
        auto addr = *util::parse_ip(ip);
        records[{name, addr.is_v4() ? dns::RrType::a : dns::RrType::aaaa}]
            .answer.addresses.push_back(addr);
    }
    void mx(const std::string& name, const std::string& host) {
        records[{name, dns::RrType::mx}].answer.mx.push_back({10, host});
    }
    Lookup lookup() {
        return [this](std::string name, dns::RrType type) -> asio::awaitable<dns::Result> {
            ++queries;
            dns::Result r;
            if (failing.contains(name)) {
                r.error = dns::Errc::server_failure;
            } else if (auto it = records.find({name, type}); it != records.end()) {
                r = it->second;
            } else {
                r.error = dns::Errc::nxdomain;
            }
            co_return r;
        };
    }
    Outcome check(const std::string& ip, const std::string& sender,
                  const std::string& helo = "h.test") {
        asio::io_context io;
        Outcome out;
        asio::co_spawn(io, spf::check(lookup(), Request{*util::parse_ip(ip), sender, helo}),
                       [&](std::exception_ptr e, Outcome o) {
                           if (e) std::rethrow_exception(e);
                           out = std::move(o);
                       });
        io.run();
        return out;
    }
};

TEST(SpfCheck, QualifiersAndDefault) {
    Zone z;
    z.txt("pass.test", {"v=spf1 ip4:192.0.2.0/24 -all"});
    z.txt("soft.test", {"v=spf1 ~all"});
    z.txt("neutral.test", {"v=spf1 ip4:10.0.0.1"});
    z.txt("none.test", {"some other text"});
    EXPECT_EQ(z.check("192.0.2.9", "a@pass.test").result, Result::pass);
    EXPECT_EQ(z.check("198.51.100.1", "a@pass.test").result, Result::fail);
    EXPECT_EQ(z.check("198.51.100.1", "a@soft.test").result, Result::softfail);
    EXPECT_EQ(z.check("198.51.100.1", "a@neutral.test").result, Result::neutral);
    EXPECT_EQ(z.check("198.51.100.1", "a@none.test").result, Result::none);
    EXPECT_EQ(z.check("198.51.100.1", "a@nxdomain.test").result, Result::none);
}

TEST(SpfCheck, NullSenderUsesHelo) {
    Zone z;
    z.txt("mx.pass.test", {"v=spf1 a -all"});
    z.a("mx.pass.test", "192.0.2.9");
    Outcome o = z.check("192.0.2.9", "", "mx.pass.test");
    EXPECT_EQ(o.result, Result::pass);
    EXPECT_EQ(o.sender, "postmaster@mx.pass.test");
}

TEST(SpfCheck, AMxIncludeRedirectExists) {
    Zone z;
    z.txt("d.test", {"v=spf1 mx a:web.d.test/24 include:_spf.e.test -all"});
    z.mx("d.test", "mx.d.test");
    z.a("mx.d.test", "192.0.2.1");
    z.a("web.d.test", "198.51.100.1");
    z.txt("_spf.e.test", {"v=spf1 exists:%{i}.ok.e.test ?all"});
    z.a("203.0.113.5.ok.e.test", "127.0.0.2");
    z.txt("r.test", {"v=spf1 redirect=d.test"});
    EXPECT_EQ(z.check("192.0.2.1", "x@d.test").result, Result::pass);      // mx
    EXPECT_EQ(z.check("198.51.100.77", "x@d.test").result, Result::pass);  // a/24
    EXPECT_EQ(z.check("203.0.113.5", "x@d.test").result, Result::pass);    // include -> exists
    EXPECT_EQ(z.check("203.0.113.6", "x@d.test").result,
              Result::fail);  // include neutral: no match
    EXPECT_EQ(z.check("192.0.2.1", "x@r.test").result, Result::pass);
    EXPECT_EQ(z.check("2001:db8::1", "x@r.test").result, Result::fail);
}

TEST(SpfCheck, Errors) {
    Zone z;
    z.txt("two.test", {"v=spf1 -all", "v=spf1 +all"});
    z.txt("bad.test", {"v=spf1 ip4:1.2.3"});
    z.txt("inc-none.test", {"v=spf1 include:nothing.test -all"});
    z.txt("redir-none.test", {"v=spf1 redirect=nothing.test"});
    z.txt("inc-fail.test", {"v=spf1 include:broken.test -all"});
    z.failing.insert("broken.test");
    z.failing.insert("servfail.test");
    EXPECT_EQ(z.check("192.0.2.1", "x@two.test").result, Result::permerror);
    EXPECT_EQ(z.check("192.0.2.1", "x@bad.test").result, Result::permerror);
    EXPECT_EQ(z.check("192.0.2.1", "x@inc-none.test").result, Result::permerror);
    EXPECT_EQ(z.check("192.0.2.1", "x@redir-none.test").result, Result::permerror);
    EXPECT_EQ(z.check("192.0.2.1", "x@inc-fail.test").result, Result::temperror);
    Outcome o = z.check("192.0.2.1", "x@servfail.test");
    EXPECT_EQ(o.result, Result::temperror);
    EXPECT_NE(o.reason.find("servfail.test"), std::string::npos);
}

TEST(SpfCheck, LookupLimits) {
    Zone z;
    // Eleven a mechanisms that do not match: the eleventh is one too many.
    std::string rec = "v=spf1";
    for (int i = 0; i < 11; ++i) {
        rec += " a:h" + std::to_string(i) + ".many.test";
        z.a("h" + std::to_string(i) + ".many.test", "10.0.0.1");
    }
    z.txt("many.test", {rec + " -all"});
    EXPECT_EQ(z.check("192.0.2.1", "x@many.test").result, Result::permerror);
    // Three void lookups (names that do not exist).
    z.txt("void.test", {"v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test -all"});
    EXPECT_EQ(z.check("192.0.2.1", "x@void.test").result, Result::permerror);
    z.txt("void2.test", {"v=spf1 a:n1.void.test a:n2.void.test -all"});
    EXPECT_EQ(z.check("192.0.2.1", "x@void2.test").result, Result::fail);
    // An include loop ends at the limit, not in a stack overflow.
    z.txt("loop.test", {"v=spf1 include:loop.test -all"});
    EXPECT_EQ(z.check("192.0.2.1", "x@loop.test").result, Result::permerror);
}

}  // namespace
}  // namespace holdfast::spf
