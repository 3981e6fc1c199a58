#include "dns/idna.hpp"

#include <gtest/gtest.h>

namespace holdfast::dns {
namespace {

TEST(Idna, AsciiNamesLowerCasedWithoutTrailingDot) {
    EXPECT_EQ(to_ascii_domain("Example.ORG."), "example.org");
    EXPECT_EQ(to_ascii_domain("sel._domainkey.example.org"), "sel._domainkey.example.org");
}

TEST(Idna, UnicodeBecomesALabels) {
    EXPECT_EQ(to_ascii_domain("bücher.example"), "xn--bcher-kva.example");
    EXPECT_EQ(to_ascii_domain("BÜCHER.example"), "xn--bcher-kva.example");
    EXPECT_EQ(to_ascii_domain("例え.テスト"), "xn--r8jz45g.xn--zckzah");
    EXPECT_EQ(to_ascii_domain("faß.de"), "xn--fa-hia.de");  // IDNA2008: ß is kept
}

TEST(Idna, RefusesInvalidNames) {
    EXPECT_FALSE(to_ascii_domain(""));
    EXPECT_FALSE(to_ascii_domain("a..b"));
    std::string long_label(64, 'a');
    long_label.append(".test");  // (operator+ trips a GCC 12 -Warray-bounds false positive)
    EXPECT_FALSE(to_ascii_domain(long_label));
    EXPECT_FALSE(to_ascii_domain("spaces are.bad"));
    EXPECT_FALSE(to_ascii_domain(std::string_view("a\0b.test", 8)));
    EXPECT_FALSE(to_ascii_domain("\xff\xfe.test"));  // not UTF-8
}

}  // namespace
}  // namespace holdfast::dns
