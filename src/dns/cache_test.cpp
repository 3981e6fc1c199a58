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

}  // namespace
}  // namespace holdfast::dns
