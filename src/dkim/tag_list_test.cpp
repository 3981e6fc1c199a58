#include "dkim/tag_list.hpp"

#include <gtest/gtest.h>

namespace holdfast::dkim {
namespace {

TEST(TagList, ParsesWithFoldingAndTrailingSemicolon) {
    auto t = TagList::parse(" v=1; a=rsa-sha256;\r\n\tb=ab cd\r\n ef ;");
    ASSERT_TRUE(t);
    ASSERT_EQ(t->tags().size(), 3u);
    EXPECT_EQ(*t->find("v"), "1");
    EXPECT_EQ(*t->find("b"), "ab cd\r\n ef");
    EXPECT_EQ(strip_fws(*t->find("b")), "abcdef");
    EXPECT_EQ(t->find("x"), nullptr);
}

TEST(TagList, EmptyValuesAndEmptyList) {
    auto t = TagList::parse("p=; k=rsa");
    ASSERT_TRUE(t);
    EXPECT_EQ(*t->find("p"), "");
    ASSERT_TRUE(TagList::parse(""));
}

TEST(TagList, RefusesMalformed) {
    for (const char* bad : {"v", "=1", "1v=2", "v=1;;a=2", "v=1; v=2", "v-x=1", "a=b;c", "a=\x01",
                            "a=\xc3\xa9", "a=1; ;", " ; "}) {
        EXPECT_FALSE(TagList::parse(bad)) << bad;
    }
}

}  // namespace
}  // namespace holdfast::dkim
