#include "mail/dsn_params.hpp"

#include <gtest/gtest.h>

using namespace holdfast::mail;

TEST(DsnParams, NotifyNamesRoundTrip) {
    DsnNotify some{true, true, false, true};
    for (const DsnNotify& n :
         {DsnNotify{}, DsnNotify::never(), some, DsnNotify{true, false, true, false}}) {
        auto back = parse_dsn_notify_name(dsn_notify_name(n));
        ASSERT_TRUE(back) << dsn_notify_name(n);
        EXPECT_EQ(*back, n);
    }
    EXPECT_EQ(dsn_notify_name(some), "success,delay");
    EXPECT_FALSE(parse_dsn_notify_name("bogus"));
    EXPECT_FALSE(parse_dsn_notify_name("delay,delay"));
    EXPECT_FALSE(parse_dsn_notify_name("delay,"));
}

TEST(DsnParams, NotifyDecidesWhichNoticesGo) {
    EXPECT_TRUE(DsnNotify{}.wants_failure());
    EXPECT_TRUE(DsnNotify{}.wants_delay());
    EXPECT_FALSE(DsnNotify::never().wants_failure());
    EXPECT_FALSE(DsnNotify::never().wants_delay());
    DsnNotify success_only{true, true, false, false};
    EXPECT_FALSE(success_only.wants_failure());
    EXPECT_FALSE(success_only.wants_delay());
    DsnNotify failure_only{true, false, true, false};
    EXPECT_TRUE(failure_only.wants_failure());
    EXPECT_FALSE(failure_only.wants_delay());
}

TEST(DsnParams, ReturnNames) {
    EXPECT_EQ(parse_dsn_return_name(""), DsnReturn::unspecified);
    EXPECT_EQ(parse_dsn_return_name("full"), DsnReturn::full);
    EXPECT_EQ(parse_dsn_return_name("hdrs"), DsnReturn::headers);
    EXPECT_FALSE(parse_dsn_return_name("FULL"));
    EXPECT_EQ(dsn_return_name(DsnReturn::headers), "hdrs");
}
