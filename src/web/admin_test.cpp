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

TEST(AdminBackTo, OnlyAdminPagesNeverElsewhere) {
    using nlohmann::json;
    EXPECT_EQ(admin_back_to({{"back", "/admin/queue/customer.test"}}, "/admin"),
              "/admin/queue/customer.test");
    EXPECT_EQ(admin_back_to({{"back", "/admin"}}, "/x"), "/admin");
    for (const char* evil :
         {"https://evil.test/", "//evil.test/admin", "/admin//evil.test", "/administrator",
          "/admin/\\evil", "/admin/a?b=c", "/admin/%2f", "/admin/a\r\nSet-Cookie: x", ""}) {
        EXPECT_EQ(admin_back_to({{"back", evil}}, "/admin"), "/admin") << evil;
    }
    EXPECT_EQ(admin_back_to(json::object(), "/admin/customers/acme"), "/admin/customers/acme");
    EXPECT_EQ(admin_back_to({{"back", 7}}, "/admin"), "/admin");
}

TEST(AdminText, AgesAndSizes) {
    EXPECT_EQ(admin_age_text(std::chrono::seconds(45)), "45 s");
    EXPECT_EQ(admin_age_text(std::chrono::seconds(125)), "2 min");
    EXPECT_EQ(admin_age_text(std::chrono::seconds(3 * 3600 + 20 * 60)), "3 h 20 min");
    EXPECT_EQ(admin_age_text(std::chrono::seconds(2 * 86400 + 4 * 3600)), "2 d 4 h");
    EXPECT_EQ(admin_age_text(std::chrono::seconds(-90)), "1 min");
    EXPECT_EQ(admin_bytes_text(382), "382 B");
    EXPECT_EQ(admin_bytes_text(1536), "1.5 KiB");
    EXPECT_EQ(admin_bytes_text(3ull << 30), "3.0 GiB");
}

}  // namespace
}  // namespace holdfast::web
