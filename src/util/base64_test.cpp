#include "util/base64.hpp"

#include <gtest/gtest.h>

using namespace holdfast::util;

TEST(Base64, RoundTrips) {
    for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("abcd"), std::string("\0alice\0secret", 13)}) {
        auto back = base64_decode(base64_encode(s));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, s);
    }
    EXPECT_EQ(base64_encode("Username:"), "VXNlcm5hbWU6");
}

TEST(Base64, RefusesSloppyInput) {
    for (const char* bad : {"abc", "ab=c", "a===", "====", "YW Jj", "YWJj\r\n", "YW*j", "=YWJ"}) {
        EXPECT_FALSE(base64_decode(bad)) << bad;
    }
}
