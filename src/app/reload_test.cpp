#include "app/reload.hpp"

#include <gtest/gtest.h>

namespace holdfast::app {
namespace {

config::Config load(const std::string& extra) {
    auto r = config::load_string(R"(
[server]
hostname = "mx.ourhost.test"
spool = "spool"
[[listen]]
address = "127.0.0.1:2525"
[[local]]
domain = "example.test"
recipients = ["alice"]
)" + extra,
                                 "test.toml");
    EXPECT_TRUE(r.config) << (r.diagnostics.empty() ? "" : r.diagnostics[0].str());
    return r.config ? *r.config : config::Config{};
}

TEST(RestartNeeded, WhatAReloadAppliesIsNotListed) {
    auto a = load("");
    auto b = load(R"(
[[listen]]
address = "127.0.0.1:2526"
[[backup]]
domain = "customer.test"
[limits]
connections_per_ip = 3
[auth]
failure_delay = "3s"
)");
    EXPECT_TRUE(restart_needed(a, a).empty());
    EXPECT_EQ(restart_needed(a, b), std::vector<std::string>{});
    // The watch's zones default to [dnsbl] zones: the watch, built once,
    // keeps the old ones until a restart, and the answer says so.
    auto c = load("[dnsbl]\nzones = [\"zen.example.test\"]\n");
    EXPECT_EQ(restart_needed(a, c), std::vector<std::string>{"[watch]"});
}

TEST(RestartNeeded, NamesEachSettingOnlyARestartApplies) {
    auto a = load("");
    auto b = load(R"(
[queue]
retry_min = "1m"
[delivery]
connect_timeout = "5s"
[dns]
servers = ["127.0.0.1:5353"]
[[backup]]
domain = "customer.test"
verify = true
)");
    auto changed = restart_needed(a, b);
    std::vector<std::string> want{"[queue]", "[delivery]", "[dns]", "[[backup]] verify"};
    EXPECT_EQ(changed, want);
    auto w = a;
    w.web.max_tests = 1;
    EXPECT_EQ(restart_needed(a, w), std::vector<std::string>{"[web]"});
    auto c = a;
    c.server.spool = "elsewhere";
    c.server.user = "nobody";
    EXPECT_EQ(restart_needed(a, c), (std::vector<std::string>{"server.spool", "server.user"}));
}

}  // namespace
}  // namespace holdfast::app
