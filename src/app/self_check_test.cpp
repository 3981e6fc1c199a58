#include "app/self_check.hpp"

#include <gtest/gtest.h>

namespace holdfast::app {
namespace {

config::Config make_config() {
    auto r = config::load_string(R"(
[server]
hostname = "mx.ourhost.test"
[[listen]]
address = "127.0.0.1:2525"
[relay]
networks = ["127.0.0.1/32"]
[[local]]
domain = "example.test"
recipients = ["alice"]
[[backup]]
domain = "customer.test"
)",
                                 "test.toml");
    EXPECT_TRUE(r.config);
    return *r.config;
}

TEST(SelfRelayCheck, TheRealPolicyPasses) {
    auto config = make_config();
    policy::CustomerDomains customers;
    customers.replace({{"acme.test", {"acme", false}}});
    policy::RecipientPolicy p(config, {}, &customers);
    auto f = self_relay_check(
        config, [&](const mail::Address& a, const policy::Client& c) { return p.decide(a, c); },
        {"acme.test"});
    EXPECT_FALSE(f) << f->str();
}

TEST(SelfRelayCheck, APolicyBugThatRelaysThePercentHackIsNamed) {
    auto config = make_config();
    policy::RecipientPolicy p(config);
    auto buggy = [&](const mail::Address& a, const policy::Client& c) {
        if (a.local.find('%') != std::string::npos) {
            policy::RecipientDecision d;
            d.destination = policy::Destination::relay;
            d.address = a;
            d.reply = smtp::Reply(250, "2.1.5", "Ok");
            return d;
        }
        return p.decide(a, c);
    };
    auto f = self_relay_check(config, buggy);
    ASSERT_TRUE(f);
    EXPECT_NE(f->rcpt_to.find('%'), std::string::npos);
    EXPECT_FALSE(f->vector.empty());
    EXPECT_NE(f->str().find("[relay] networks"), std::string::npos);
    EXPECT_NE(f->str().find(f->vector), std::string::npos);
}

TEST(SelfRelayCheck, BackupDomainAcceptingRoutedAddressesIsNamed) {
    auto config = make_config();
    policy::RecipientPolicy p(config);
    auto buggy = [&](const mail::Address& a, const policy::Client& c) {
        if (a.domain == "customer.test" && a.has_routing()) {
            policy::RecipientDecision d;
            d.destination = policy::Destination::backup;
            d.address = a;
            d.reply = smtp::Reply(250, "2.1.5", "Ok");
            return d;
        }
        return p.decide(a, c);
    };
    auto f = self_relay_check(config, buggy);
    ASSERT_TRUE(f);
    EXPECT_NE(f->setting.find("customer.test"), std::string::npos);
}

TEST(SelfRelayCheck, RelayNetworksCoveringEverythingIsRefused) {
    auto config = make_config();
    config.relay.networks = {*util::parse_network("0.0.0.0/0"), *util::parse_network("::/0")};
    policy::RecipientPolicy p(config);
    auto f = self_relay_check(
        config, [&](const mail::Address& a, const policy::Client& c) { return p.decide(a, c); });
    ASSERT_TRUE(f);
    EXPECT_EQ(f->setting, "[relay] networks");
}

}  // namespace
}  // namespace holdfast::app
