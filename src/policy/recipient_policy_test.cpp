#include "policy/recipient_policy.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "smtp/protocol/command.hpp"

using namespace holdfast;
using policy::Destination;

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
recipients = ["bob"]
)",
                                 "test.toml");
    return *r.config;
}

policy::Client client(const char* ip, bool authenticated = false) {
    return policy::Client{*util::parse_ip(ip), *util::parse_ip("127.0.0.1"), authenticated};
}

mail::Address rcpt(const std::string& text) {
    auto p = smtp::parse_command("RCPT TO:" + text);
    EXPECT_TRUE(p.command) << text << ": " << p.error.summary();
    return p.command ? p.command->address : mail::Address{};
}

std::vector<std::string> relay_tricks() {
    std::ifstream in(std::string(HOLDFAST_SOURCE_DIR) + "/tests/data/relay_tricks.txt");
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto put = [&](const std::string& key, const std::string& value) {
            for (auto pos = line.find(key); pos != std::string::npos; pos = line.find(key)) {
                line.replace(pos, key.size(), value);
            }
        };
        put("{ip}", "[127.0.0.1]");
        put("{host}", "mx.ourhost.test");
        put("{ext}", "ext.test");
        put("{local}", "example.test");
        put("{backup}", "customer.test");
        out.push_back(line);
    }
    return out;
}

}  // namespace

class RecipientPolicyTest : public ::testing::Test {
  protected:
    config::Config config = make_config();
    policy::RecipientPolicy policy{config};
};

TEST_F(RecipientPolicyTest, EveryRelayTrickIsRefusedFromOutside) {
    auto tricks = relay_tricks();
    ASSERT_GT(tricks.size(), 30u);
    for (const auto& t : tricks) {
        // Each trick must get past the syntax check: refusing it for bad
        // syntax would hide what the policy does with it.
        auto d = policy.decide(rcpt(t), client("127.0.0.2"));
        EXPECT_EQ(d.destination, Destination::refused) << t;
        EXPECT_GE(d.reply.code, 500) << t;
    }
}

TEST_F(RecipientPolicyTest, RelayTricksAreOutsideMailForTrustedClients) {
    for (const auto& t : relay_tricks()) {
        for (auto c : {client("127.0.0.1"), client("192.0.2.9", true)}) {
            auto d = policy.decide(rcpt(t), c);
            // Never local because of routing: either relayed or (postmaster /
            // unknown user at a domain of ours after unwrapping) refused.
            if (d.destination == Destination::local) {
                EXPECT_EQ(d.address.local, "postmaster") << t;
            }
        }
    }
    auto d = policy.decide(rcpt("<u%ext.test@mx.ourhost.test>"), client("127.0.0.1"));
    EXPECT_EQ(d.destination, Destination::relay);
    EXPECT_EQ(d.address.str(), "u@ext.test");
    d = policy.decide(rcpt("<@[127.0.0.1]:u@ext.test>"), client("127.0.0.1"));
    EXPECT_EQ(d.destination, Destination::relay);
    EXPECT_EQ(d.address.str(), "u@ext.test");
    d = policy.decide(rcpt("<ext.test!u>"), client("127.0.0.1"));
    EXPECT_EQ(d.address.str(), "u@ext.test");
}

TEST_F(RecipientPolicyTest, RelayDeniedReplyIsTheContractOne) {
    auto d = policy.decide(rcpt("<u@ext.test>"), client("127.0.0.2"));
    EXPECT_EQ(d.reply.wire(), "550 5.7.1 <u@ext.test>: relaying denied\r\n");
}

TEST_F(RecipientPolicyTest, LocalRecipients) {
    auto d = policy.decide(rcpt("<Alice@Example.Test.>"), client("127.0.0.2"));
    EXPECT_EQ(d.destination, Destination::local);
    EXPECT_EQ(d.reply.code, 250);
    d = policy.decide(rcpt("<mallory@example.test>"), client("127.0.0.2"));
    EXPECT_EQ(d.reply.enhanced, "5.1.1");
    // Postmaster exists at every domain we serve, and unqualified (RFC 5321 4.5.1).
    for (const char* pm : {"<postmaster@example.test>", "<Postmaster>", "<postmaster@[127.0.0.1]>",
                           "<POSTMASTER@mx.ourhost.test>", "<postmaster@customer.test>"}) {
        EXPECT_NE(policy.decide(rcpt(pm), client("127.0.0.2")).destination, Destination::refused)
            << pm;
    }
    // An address literal that is not ours is not local.
    EXPECT_EQ(policy.decide(rcpt("<postmaster@[127.0.0.9]>"), client("127.0.0.2")).destination,
              Destination::refused);
}

TEST_F(RecipientPolicyTest, BackupRecipientsMustExist) {
    EXPECT_EQ(policy.decide(rcpt("<bob@customer.test>"), client("127.0.0.2")).destination,
              Destination::backup);
    auto d = policy.decide(rcpt("<carol@customer.test>"), client("127.0.0.2"));
    EXPECT_EQ(d.reply.enhanced, "5.1.1");
    EXPECT_EQ(d.backup, policy::BackupCheck::list);
}

TEST(RecipientPolicyVerify, AVerifyDomainWithoutListAsksThePrimary) {
    auto r = config::load_string(R"(
[server]
hostname = "mx.ourhost.test"
[[listen]]
address = "127.0.0.1:2525"
[[backup]]
domain = "customer.test"
verify = true
[[backup]]
domain = "open.test"
)",
                                 "test.toml");
    ASSERT_TRUE(r.config);
    policy::RecipientPolicy p(*r.config);
    auto d = p.decide(rcpt("<anyone@customer.test>"), client("192.0.2.1"));
    EXPECT_EQ(d.destination, Destination::backup);
    EXPECT_EQ(d.backup, policy::BackupCheck::verify);
    d = p.decide(rcpt("<anyone@open.test>"), client("192.0.2.1"));
    EXPECT_EQ(d.backup, policy::BackupCheck::any);
    d = p.decide(rcpt("<anyone@ext.test>"), client("127.0.0.1"));
    EXPECT_EQ(d.backup, policy::BackupCheck::none);
}

TEST_F(RecipientPolicyTest, TrustComesFromAddressOrAuthOnly) {
    EXPECT_TRUE(policy.may_relay(client("127.0.0.1")));
    EXPECT_FALSE(policy.may_relay(client("127.0.0.2")));
    EXPECT_TRUE(policy.may_relay(client("127.0.0.2", true)));
    EXPECT_EQ(policy.decide(rcpt("<u@ext.test>"), client("127.0.0.1")).destination,
              Destination::relay);
}

TEST_F(RecipientPolicyTest, DeepNestingIsRefused) {
    std::string deep = "u%ext.test";
    for (int i = 0; i < 6; ++i) deep += "%mx.ourhost.test";
    auto d = policy.decide(rcpt("<" + deep + "@mx.ourhost.test>"), client("127.0.0.1"));
    EXPECT_EQ(d.destination, Destination::refused);
    // Routing through a foreign domain is that domain's business: plain relay.
    d = policy.decide(rcpt("<a%b%c@h.test>"), client("127.0.0.1"));
    EXPECT_EQ(d.destination, Destination::relay);
    EXPECT_EQ(d.address.str(), "a%b%c@h.test");
}

TEST(CustomerDomainsPolicy, ActiveServedSuspended450RoutingStillRefused) {
    auto config = make_config();
    policy::CustomerDomains customers;
    policy::RecipientPolicy p(config, {}, &customers);
    auto outside = client("192.0.2.9");
    EXPECT_EQ(p.decide(rcpt("<x@acme.test>"), outside).destination, Destination::refused);
    customers.replace({{"acme.test", {"acme", false}}});
    auto d = p.decide(rcpt("<anyone@acme.test>"), outside);
    EXPECT_EQ(d.destination, Destination::backup);
    EXPECT_EQ(d.backup, policy::BackupCheck::any);
    // Routing through a customer's domain is relaying, like any backup domain.
    EXPECT_EQ(p.decide(rcpt("<u%ext.test@acme.test>"), outside).destination, Destination::refused);
    EXPECT_EQ(p.decide(rcpt("<\"u@ext.test\"@acme.test>"), outside).destination,
              Destination::refused);
    customers.replace({{"acme.test", {"acme", true}}});
    d = p.decide(rcpt("<anyone@acme.test>"), outside);
    EXPECT_EQ(d.destination, Destination::refused);
    EXPECT_EQ(d.reply.code, 450);
    EXPECT_EQ(d.reply.enhanced, "4.7.1");
    customers.replace({});
    EXPECT_GE(p.decide(rcpt("<anyone@acme.test>"), outside).reply.code, 500);
}
