#include "web/guard.hpp"

#include <gtest/gtest.h>

namespace holdfast::web {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, AllowsUpToTheLimitPerWindow) {
    RateLimiter r(3, 3600s);
    Clock::time_point t0{};
    EXPECT_TRUE(r.allow("a", t0));
    EXPECT_TRUE(r.allow("a", t0 + 1s));
    EXPECT_TRUE(r.allow("a", t0 + 2s));
    EXPECT_FALSE(r.allow("a", t0 + 3s));
    EXPECT_TRUE(r.allow("b", t0 + 3s));  // keys are apart
    EXPECT_EQ(r.retry_at("a", t0 + 3s), t0 + 3600s);
    EXPECT_FALSE(r.allow("a", t0 + 3599s));
    EXPECT_TRUE(r.allow("a", t0 + 3600s));  // the first has aged out
    EXPECT_EQ(r.retry_at("c", t0), t0);
}

TEST(RateLimiter, RefusalsAreNotCounted) {
    RateLimiter r(1, 60s);
    Clock::time_point t0{};
    EXPECT_TRUE(r.allow("a", t0));
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(r.allow("a", t0 + 1s));
    EXPECT_TRUE(r.allow("a", t0 + 60s));
}

TEST(Networks, EveryAddressMustBeInside) {
    std::vector<util::IpNetwork> nets{*util::parse_network("127.0.0.0/8"),
                                      *util::parse_network("::1")};
    auto ip = [](const char* s) { return *util::parse_ip(s); };
    EXPECT_TRUE(all_inside({ip("127.0.0.1")}, nets));
    EXPECT_TRUE(all_inside({ip("127.9.9.9"), ip("::1")}, nets));
    EXPECT_FALSE(all_inside({ip("127.0.0.1"), ip("192.0.2.1")}, nets));  // one foreign: refused
    EXPECT_FALSE(all_inside({ip("10.0.0.1")}, nets));
    EXPECT_FALSE(all_inside({}, nets));
    EXPECT_FALSE(all_inside({ip("127.0.0.1")}, {}));
}

}  // namespace
}  // namespace holdfast::web
