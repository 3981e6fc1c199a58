#include "util/time_text.hpp"

#include <gtest/gtest.h>

namespace holdfast::util {
namespace {

TEST(TimeText, Rfc3339AndHumanInUtc) {
    auto t = std::chrono::system_clock::time_point{} + std::chrono::seconds(1796058309);
    EXPECT_EQ(rfc3339(t), "2026-11-30T17:05:09Z");
    EXPECT_EQ(human_utc(t), "2026-11-30 17:05 UTC");
    EXPECT_EQ(rfc3339({}), "1970-01-01T00:00:00Z");
    EXPECT_EQ(human_utc({}), "");
}

}  // namespace
}  // namespace holdfast::util
