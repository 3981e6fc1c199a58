#include "util/duration.hpp"

#include <gtest/gtest.h>

using holdfast::util::format_duration;
using holdfast::util::parse_duration;
using std::chrono::seconds;

TEST(Duration, ParsesEachUnit) {
    EXPECT_EQ(parse_duration("30s"), seconds(30));
    EXPECT_EQ(parse_duration("5m"), seconds(300));
    EXPECT_EQ(parse_duration("4h"), seconds(4 * 3600));
    EXPECT_EQ(parse_duration("7d"), seconds(7 * 86400));
    EXPECT_EQ(parse_duration("0s"), seconds(0));
}

TEST(Duration, RefusesMalformed) {
    for (const char* bad : {"", "s", "5", "5x", "-5m", "5 m", " 5m", "5mm", "m5", "1.5h",
                            "99999999999999999999d", "9223372036854775807d"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

TEST(Duration, FormatsShortest) {
    EXPECT_EQ(format_duration(seconds(90)), "90s");
    EXPECT_EQ(format_duration(seconds(300)), "5m");
    EXPECT_EQ(format_duration(seconds(7200)), "2h");
    EXPECT_EQ(format_duration(seconds(604800)), "7d");
    EXPECT_EQ(format_duration(seconds(0)), "0s");
}
