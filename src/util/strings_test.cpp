#include "util/strings.hpp"

#include <gtest/gtest.h>

using namespace holdfast::util;

TEST(Strings, CaseInsensitiveAsciiOnly) {
    EXPECT_TRUE(iequals("MAIL", "mail"));
    EXPECT_FALSE(iequals("MAIL", "mai"));
    EXPECT_FALSE(iequals("\xc3\x84", "\xc3\xa4"));  // no Unicode folding
    EXPECT_TRUE(istarts_with("MAIL FROM:", "mail from:"));
    EXPECT_FALSE(istarts_with("MA", "mail"));
}

TEST(Strings, TrimAndSplit) {
    EXPECT_EQ(trim("  a b\t "), "a b");
    EXPECT_EQ(trim(""), "");
    auto parts = split("a,,b", ',');
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[1], "");
}

TEST(Strings, PrintableEscapesControlsAndCuts) {
    EXPECT_EQ(printable(std::string("a\0b\r\n", 5)), "a\\x00b\\x0d\\x0a");
    EXPECT_EQ(printable(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
}
