#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "relaytest/options.hpp"
#include "relaytest/report.hpp"

using namespace holdfast::relaytest;

namespace {

Report sample() {
    Report r;
    r.target = "127.0.0.1:2525";
    r.address = "127.0.0.1";
    r.banner = "220 mx.example.test ESMTP";
    r.verdict = Verdict::open;
    r.reason = "1 of 2 vectors relayed: nmap-02";
    VectorResult v;
    v.id = "nmap-02";
    v.mail_from = "<antispam@x.invalid>";
    v.rcpt_to = "<relaytest@x.invalid>";
    v.result = Result::relayed;
    v.reply = "250 2.1.5 Ok \xff";  // untrusted bytes must not break the JSON
    r.vectors.push_back(v);
    v.id = "nmap-01";
    v.result = Result::auth_required;
    v.tls = true;
    r.vectors.push_back(v);
    r.transcript.add(1, Direction::server, "220 mx.example.test ESMTP\r\n");
    r.has_transcript = true;
    return r;
}

}  // namespace

TEST(Report, JsonHasTheContractFields) {
    auto j = nlohmann::json::parse(to_json(sample()));
    EXPECT_EQ(j["target"], "127.0.0.1:2525");
    EXPECT_EQ(j["verdict"], "open");
    EXPECT_TRUE(j["reason"].is_string());
    ASSERT_EQ(j["vectors"].size(), 2u);
    for (const char* k : {"id", "mail_from", "rcpt_to", "tls", "result", "reply"}) {
        EXPECT_TRUE(j["vectors"][0].contains(k)) << k;
    }
    EXPECT_EQ(j["vectors"][0]["result"], "relayed");
    EXPECT_EQ(j["vectors"][1]["result"], "auth-required");
    EXPECT_EQ(j["vectors"][1]["tls"], true);
    EXPECT_EQ(j["transcript"][0]["dir"], "S");
}

TEST(Report, TextHasTableAndVerdict) {
    std::string t = to_text(sample());
    EXPECT_NE(t.find("nmap-02"), std::string::npos);
    EXPECT_NE(t.find("auth-required"), std::string::npos);
    EXPECT_NE(t.find("verdict: open - 1 of 2 vectors relayed"), std::string::npos);
    EXPECT_NE(t.find("#1 S: 220 mx.example.test ESMTP"), std::string::npos);
}

TEST(Report, ExitCodes) {
    Report r;
    r.verdict = Verdict::closed;
    EXPECT_EQ(r.exit_code(), 0);
    r.verdict = Verdict::open;
    EXPECT_EQ(r.exit_code(), 1);
    r.verdict = Verdict::inconclusive;
    EXPECT_EQ(r.exit_code(), 2);
}

TEST(Options, TargetsAndDefaults) {
    auto t = parse_target("mx.example.org");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->port, 25);
    t = parse_target("[::1]:2525");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->host, "::1");
    EXPECT_EQ(t->str(), "[::1]:2525");
    EXPECT_FALSE(parse_target("bad host:25"));
    EXPECT_FALSE(parse_target("x:0"));

    Options o;
    EXPECT_EQ(resolve_defaults(o, "tabc"), "");
    EXPECT_EQ(o.to_domain, "tabc.relay-test.invalid");
    EXPECT_EQ(o.to, "relaytest@tabc.relay-test.invalid");
    EXPECT_EQ(o.from, "antispam@tabc.relay-test.invalid");
    EXPECT_FALSE(o.helo.empty());

    Options mine;
    mine.to = "me@mine.example";
    EXPECT_EQ(resolve_defaults(mine, "tabc"), "");
    EXPECT_EQ(mine.to_domain, "mine.example");
    Options bad;
    bad.from = "not an address";
    EXPECT_NE(resolve_defaults(bad, "t"), "");
}
