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

TEST(Strings, PrintableUtf8KeepsWellFormedUtf8Only) {
    EXPECT_EQ(printable_utf8("j\xc3\xb6rg@b\xc3\xbc"
                             "cher.test"),
              "j\xc3\xb6rg@b\xc3\xbc"
              "cher.test");
    EXPECT_EQ(printable_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"), "\xe2\x82\xac \xf0\x9f\x98\x80");
    // Invalid, overlong, surrogate, C1 control, CR LF: escaped.
    EXPECT_EQ(printable_utf8("\xc3"), "\\xc3");
    EXPECT_EQ(printable_utf8("\xc0\xaf"), "\\xc0\\xaf");
    EXPECT_EQ(printable_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    EXPECT_EQ(printable_utf8("\xc2\x85"), "\\xc2\\x85");
    EXPECT_EQ(printable_utf8("a\r\nb"), "a\\x0d\\x0ab");
}

TEST(Strings, FoldLocalPartUsesUnicodeLowercase) {
    EXPECT_EQ(fold_local_part("Alice.B"), "alice.b");
    EXPECT_EQ(fold_local_part("J\xc3\x96RG"), "j\xc3\xb6rg");                            // JÖRG
    EXPECT_EQ(fold_local_part("\xce\xa3\xce\x9f\xce\xa6"), "\xcf\x83\xce\xbf\xcf\x86");  // ΣΟΦ
    EXPECT_EQ(fold_local_part("\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd"),
              "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd");  // Иван
    EXPECT_EQ(fold_local_part("j\xc3\xb6rg"), "j\xc3\xb6rg");
    EXPECT_EQ(fold_local_part("bad\xc3"), "bad\xc3");  // not UTF-8: kept as it is
}
