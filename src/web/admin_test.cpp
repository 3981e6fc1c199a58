#include "web/admin.hpp"

#include <gtest/gtest.h>

namespace holdfast::web {
namespace {

TEST(AdminCookies, ValueByName) {
    EXPECT_EQ(cookie_value("a=1; hf_admin=tok; b=2", "hf_admin"), "tok");
    EXPECT_EQ(cookie_value("hf_admin=tok", "hf_admin"), "tok");
    EXPECT_EQ(cookie_value("xhf_admin=no; hf_admin_x=no", "hf_admin"), "");
    EXPECT_EQ(cookie_value("", "hf_admin"), "");
}

TEST(AdminTokens, RandomHexAndCompared) {
    auto a = random_token(), b = random_token();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
    EXPECT_TRUE(same_secret(a, a));
    EXPECT_FALSE(same_secret(a, b));
    EXPECT_FALSE(same_secret("", ""));  // no token is never a match
    EXPECT_FALSE(same_secret(a, a.substr(1)));
}

}  // namespace
}  // namespace holdfast::web
