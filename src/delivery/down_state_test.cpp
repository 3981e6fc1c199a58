#include "delivery/down_state.hpp"

#include <gtest/gtest.h>

using namespace holdfast::delivery;

TEST(DownState, RoundTripsAndRefusesGarbage) {
    auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1796000000123456));
    std::vector<DownRecord> down{
        {"customer.test", "connect to mx1.customer.test[127.0.0.10]:25: Connection refused", t},
        {"other.test", "", t + std::chrono::seconds(90)}};
    auto back = decode_down(encode_down(down));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, down);
    EXPECT_EQ(decode_down(encode_down({}))->size(), 0u);
    for (const char* bad : {"", "{", "[]", "{\"version\":2,\"down\":[]}", "{\"version\":1}",
                            "{\"version\":1,\"down\":[{\"destination\":1,\"next_probe\":0}]}",
                            "{\"version\":1,\"down\":[{\"destination\":\"x\"}]}"}) {
        EXPECT_FALSE(decode_down(bad)) << bad;
    }
}
