#include "store/customer_input.hpp"

#include <gtest/gtest.h>

namespace holdfast::store {
namespace {

TEST(CheckedCustomer, NormalisesDomainsAndNetworks) {
    std::string why;
    auto c = checked_customer(
        {"acme-1", {"noc@acme.test"}, {"ACME.Test"}, {"2001:DB8::/32"}, "notes", true}, &why);
    ASSERT_TRUE(c) << why;
    EXPECT_EQ(c->domains, std::vector<std::string>{"acme.test"});
    EXPECT_EQ(c->networks, std::vector<std::string>{"2001:db8::/32"});
    EXPECT_TRUE(c->scan);
    EXPECT_EQ(c->notes, "notes");
}

TEST(CheckedCustomer, NamesTheFieldThatIsWrong) {
    std::string why;
    EXPECT_FALSE(checked_customer({"", {}, {}, {}, "", false}, &why));
    EXPECT_NE(why.find("not a customer name"), std::string::npos);
    EXPECT_FALSE(checked_customer({"a/b", {}, {}, {}, "", false}, &why));
    EXPECT_FALSE(checked_customer({std::string(65, 'a'), {}, {}, {}, "", false}, &why));
    EXPECT_FALSE(checked_customer({"acme", {"not an address"}, {}, {}, "", false}, &why));
    EXPECT_NE(why.find("\"not an address\" is not an email address"), std::string::npos);
    EXPECT_FALSE(checked_customer({"acme", {}, {"bad..domain"}, {}, "", false}, &why));
    EXPECT_NE(why.find("not a domain name"), std::string::npos);
    EXPECT_FALSE(checked_customer({"acme", {}, {}, {"192.0.2.0/33"}, "", false}, &why));
    EXPECT_NE(why.find("not a network"), std::string::npos);
    EXPECT_FALSE(checked_customer({"acme", {}, {}, {"<script>"}, "", false}, &why));
    EXPECT_FALSE(checked_customer({"acme", {}, {"acme.test"}, {}, "", false}, &why));
    EXPECT_NE(why.find("at least one e-mail address"), std::string::npos);
    EXPECT_FALSE(checked_customer({"acme", {"noc@acme.test"}, {}, {}, "", false}, &why));
    EXPECT_NE(why.find("at least one domain"), std::string::npos);
}

TEST(SplitList, CommasSpacesAndLines) {
    EXPECT_EQ(split_list("a, b\r\nc\t d,,"), (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_TRUE(split_list("").empty());
    EXPECT_TRUE(split_list(" ,\n").empty());
}

}  // namespace
}  // namespace holdfast::store
