#include "mail/queue_id.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace holdfast::mail;
using namespace std::chrono;

TEST(QueueId, SortsByTimeAndRoundTrips) {
    auto t1 = system_clock::time_point(microseconds(1'700'000'000'000'000));
    auto t2 = t1 + microseconds(1);
    std::string a = new_queue_id(t1), b = new_queue_id(t2);
    EXPECT_TRUE(is_valid_queue_id(a));
    EXPECT_LT(a, b);
    EXPECT_EQ(queue_id_time(a), t1);
}

TEST(QueueId, UniqueWithinOneMicrosecond) {
    auto t = system_clock::now();
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(new_queue_id(t));
    EXPECT_GT(ids.size(), 990u);  // 20 random bits: collisions are possible but rare
}

TEST(QueueId, RefusesWhatCouldEscapeADirectory) {
    for (const char* bad : {"", "../../etc/pass", "0123456789ABCD", "0123456789ABCDEF",
                            "0123456789abcde", "0123456789ABCD/"}) {
        EXPECT_FALSE(is_valid_queue_id(bad)) << bad;
    }
}
