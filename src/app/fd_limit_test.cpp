#include "app/fd_limit.hpp"

#include <gtest/gtest.h>

using namespace holdfast::app;

TEST(FdLimit, ConnectionsAreCappedBelowTheLimitWithAReserve) {
    // systemd's default soft limit: 10000 connections cannot fit.
    EXPECT_EQ(connections_within(10000, 1024), 1024u - fd_reserve(1024));
    EXPECT_LT(connections_within(10000, 1024), 1024u - 256u);
    // The usual hard limit: they do.
    EXPECT_EQ(connections_within(10000, 524288), 10000u);
    EXPECT_EQ(connections_within(100, 1024), 100u);
    EXPECT_EQ(connections_within(100, 200), 0u);
}

TEST(FdLimit, SoftLimitIsRaisedToTheHardOne) {
    rlimit rl{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max < 512) GTEST_SKIP();
    rlimit low = rl;
    low.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    EXPECT_EQ(raise_nofile_limit(), rl.rlim_max);
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &low), 0);
    EXPECT_EQ(low.rlim_cur, rl.rlim_max);
}
