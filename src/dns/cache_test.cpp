#include "dns/cache.hpp"

#include <gtest/gtest.h>

#include "dns/error.hpp"

namespace holdfast::dns {
namespace {

using namespace std::chrono_literals;

Result answer(std::string name, std::uint32_t ttl, std::error_code ec = {}) {
    Result r;
    r.error = ec;
    r.answer.name = std::move(name);
    r.answer.type = RrType::a;
    r.answer.ttl = ttl;
    return r;
}

TEST(Cache, KeepsAnswersForTheirTtl) {
    Cache c;
    auto t0 = Cache::Clock::time_point{} + 1000s;
    c.put(answer("a.test", 60), t0);
    auto hit = c.get("A.test.", RrType::a, t0 + 20s);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->answer.ttl, 40u);
    EXPECT_FALSE(c.get("a.test", RrType::aaaa, t0));
    EXPECT_FALSE(c.get("a.test", RrType::a, t0 + 60s));
}

TEST(Cache, NegativeAnswersYesFailuresNo) {
    Cache c;
    auto t0 = Cache::Clock::time_point{} + 1000s;
    c.put(answer("nx.test", 30, make_error_code(Errc::nxdomain)), t0);
    c.put(answer("fail.test", 30, make_error_code(Errc::server_failure)), t0);
    c.put(answer("zero.test", 0), t0);
    EXPECT_EQ(c.get("nx.test", RrType::a, t0)->error, Errc::nxdomain);
    EXPECT_FALSE(c.get("fail.test", RrType::a, t0));
    EXPECT_FALSE(c.get("zero.test", RrType::a, t0));
}

TEST(Cache, CapsTtlAndSize) {
    Cache c(2, 100);
    auto t0 = Cache::Clock::time_point{} + 1000s;
    c.put(answer("a.test", 86400), t0);
    EXPECT_FALSE(c.get("a.test", RrType::a, t0 + 100s));
    c.put(answer("b.test", 10), t0);
    c.put(answer("c.test", 10), t0);
    EXPECT_LE(c.size(), 2u);
    EXPECT_TRUE(c.get("c.test", RrType::a, t0));
}

// RFC 2308: a negative answer lives min(SOA TTL, MINIMUM) (interpret.cpp),
// and here no longer than max_negative_ttl (5 min by default), however long
// the zone asks for.
TEST(Cache, NegativeAnswersAreKeptBrieflyAndFlushForgetsThem) {
    Cache c;
    auto t0 = Cache::Clock::time_point{} + 1000s;
    c.put(answer("mx1.customer.test", 3600, make_error_code(Errc::nxdomain)), t0);
    EXPECT_TRUE(c.get("mx1.customer.test", RrType::a, t0 + 299s));
    EXPECT_FALSE(c.get("mx1.customer.test", RrType::a, t0 + 300s));
    c.put(answer("short.test", 30, make_error_code(Errc::no_data)), t0);
    EXPECT_FALSE(c.get("short.test", RrType::a, t0 + 30s)) << "the SOA's own value when smaller";

    // queue flush --domain customer.test: the domain, names under it and
    // its MX hosts elsewhere are asked again; positive answers stay.
    Result mx;
    mx.answer.name = "customer.test";
    mx.answer.type = RrType::mx;
    mx.answer.ttl = 600;
    mx.answer.mx = {{10, "mail.hoster.test"}};
    c.put(mx, t0);
    c.put(answer("mx1.customer.test", 60, make_error_code(Errc::nxdomain)), t0);
    c.put(answer("mail.hoster.test", 60, make_error_code(Errc::nxdomain)), t0);
    c.put(answer("other.test", 60, make_error_code(Errc::nxdomain)), t0);
    c.put(answer("www.customer.test", 60), t0);
    c.put(answer("xcustomer.test", 60, make_error_code(Errc::nxdomain)), t0);
    c.forget_negative("Customer.Test.");
    EXPECT_FALSE(c.get("mx1.customer.test", RrType::a, t0));
    EXPECT_FALSE(c.get("mail.hoster.test", RrType::a, t0));
    EXPECT_TRUE(c.get("customer.test", RrType::mx, t0));
    EXPECT_TRUE(c.get("www.customer.test", RrType::a, t0));
    EXPECT_TRUE(c.get("other.test", RrType::a, t0));
    EXPECT_TRUE(c.get("xcustomer.test", RrType::a, t0)) << "not under customer.test";
    c.forget_negative("");
    EXPECT_FALSE(c.get("other.test", RrType::a, t0));
    EXPECT_TRUE(c.get("www.customer.test", RrType::a, t0));
}

}  // namespace
}  // namespace holdfast::dns
