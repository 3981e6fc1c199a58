#include <gtest/gtest.h>

#include "smtp/server/client_limits.hpp"
#include "smtp/server/received_header.hpp"

using namespace holdfast;
using namespace std::chrono_literals;

TEST(ConnectionCounter, PerIpAndTotal) {
    smtp::ConnectionCounter c(2, 3);
    auto a = *util::parse_ip("127.0.0.2"), b = *util::parse_ip("127.0.0.3");
    EXPECT_TRUE(c.try_add(a));
    EXPECT_TRUE(c.try_add(a));
    EXPECT_FALSE(c.try_add(a));
    EXPECT_TRUE(c.try_add(b));
    EXPECT_FALSE(c.try_add(b));  // total reached
    c.remove(a);
    EXPECT_TRUE(c.try_add(b));
    EXPECT_EQ(c.total(), 3u);
}

TEST(ConnectionCounter, ExemptNetworksCountOnlyTowardsTheTotal) {
    smtp::ConnectionCounter c(1, 3, {*util::parse_network("127.0.0.0/30")});
    auto lan = *util::parse_ip("127.0.0.1"), out = *util::parse_ip("127.0.0.9");
    EXPECT_TRUE(c.try_add(lan));
    EXPECT_TRUE(c.try_add(lan));  // per_ip 1 does not apply
    EXPECT_TRUE(c.try_add(out));
    EXPECT_FALSE(c.try_add(lan));  // the total still does
    c.remove(lan);
    c.remove(lan);
    EXPECT_EQ(c.total(), 1u);
    EXPECT_FALSE(c.try_add(out));  // out's own limit
    EXPECT_TRUE(c.try_add(lan));
}

// A reload may change who is exempt while connections are open: each is
// given back the way it was counted, so the books stay right.
TEST(ConnectionCounter, NewLimitsLeaveOpenConnectionsAsCounted) {
    const auto lan_net = *util::parse_network("127.0.0.0/30");
    smtp::ConnectionCounter c(1, 10, {lan_net});
    auto lan = *util::parse_ip("127.0.0.1");
    bool first_per_ip = true;
    EXPECT_TRUE(c.try_add(lan, &first_per_ip));
    EXPECT_FALSE(first_per_ip);
    c.set_limits({1, 10, {}});  // lan is an ordinary client now
    bool second_per_ip = false;
    EXPECT_TRUE(c.try_add(lan, &second_per_ip));
    EXPECT_TRUE(second_per_ip);
    EXPECT_FALSE(c.try_add(lan));  // its one slot is taken
    c.remove(lan, first_per_ip);   // the exempt one goes: the counted one stays counted
    EXPECT_FALSE(c.try_add(lan));
    c.remove(lan, second_per_ip);
    EXPECT_TRUE(c.try_add(lan));
    EXPECT_EQ(c.total(), 1u);
    c.set_limits({1, 1, {}});
    EXPECT_FALSE(c.try_add(*util::parse_ip("127.0.0.9")));  // the new total
}

TEST(AuthFailures, DelayGrowsAndIsForgotten) {
    smtp::AuthFailures f(1000ms, 3000ms, 60s);
    auto ip = *util::parse_ip("127.0.0.2");
    auto t = smtp::AuthFailures::Clock::now();
    EXPECT_EQ(f.failed(ip, t), 1000ms);
    EXPECT_EQ(f.failed(ip, t), 2000ms);
    EXPECT_EQ(f.failed(ip, t), 3000ms);
    EXPECT_EQ(f.failed(ip, t), 3000ms);         // capped
    EXPECT_EQ(f.failed(ip, t + 120s), 1000ms);  // forgotten after a quiet minute
    f.succeeded(ip);
    EXPECT_EQ(f.failed(ip, t + 121s), 1000ms);
}

TEST(ReceivedHeader, Format) {
    smtp::TraceInfo t{.helo = "client.test",
                      .client_ip = "127.0.0.2",
                      .hostname = "mx.example.test",
                      .queue_id = "ID1",
                      .esmtp = true,
                      .tls = true,
                      .authenticated = true,
                      .single_recipient = "a@example.test",
                      .when = std::chrono::system_clock::time_point(1'700'000'000s)};
    EXPECT_EQ(smtp::received_header(t),
              "Received: from client.test ([127.0.0.2])\r\n\tby mx.example.test (Holdfast) with "
              "ESMTPSA id "
              "ID1\r\n\tfor <a@example.test>; Tue, 14 Nov 2023 22:13:20 +0000\r\n");
    t.helo = "evil\r\nX-Injected: 1";
    EXPECT_EQ(smtp::received_header(t).find("\r\nX-Injected"), std::string::npos);
}

TEST(ReceivedHeader, Ipv6LiteralIsTagged) {
    smtp::TraceInfo t{.helo = "client.test",
                      .client_ip = "::1",
                      .hostname = "mx.example.test",
                      .queue_id = "ID1",
                      .single_recipient = "",
                      .when = std::chrono::system_clock::time_point(1'700'000'000s)};
    EXPECT_EQ(smtp::received_header(t).rfind("Received: from client.test ([IPv6:::1])\r\n", 0), 0u)
        << smtp::received_header(t);
    t.client_ip = "2001:db8::25";
    EXPECT_NE(smtp::received_header(t).find("([IPv6:2001:db8::25])"), std::string::npos);
}

TEST(ReceivedHeader, Utf8StaysUtf8InSmtputf8MailOnly) {
    smtp::TraceInfo t{.helo = "client.test",
                      .client_ip = "127.0.0.2",
                      .hostname = "mx.example.test",
                      .queue_id = "ID1",
                      .smtputf8 = true,
                      .single_recipient = "j\xc3\xb6rg@example.test",
                      .when = std::chrono::system_clock::time_point(1'700'000'000s)};
    EXPECT_NE(smtp::received_header(t).find("for <j\xc3\xb6rg@example.test>"), std::string::npos)
        << smtp::received_header(t);
    t.single_recipient = "j\xc3\xb6rg\r\nX: 1@example.test";
    EXPECT_EQ(smtp::received_header(t).find("\r\nX: 1"), std::string::npos);
    t.smtputf8 = false;
    t.single_recipient = "j\xc3\xb6rg@example.test";
    EXPECT_NE(smtp::received_header(t).find("for <j\\xc3\\xb6rg@example.test>"), std::string::npos);
}
