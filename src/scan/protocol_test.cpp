#include "scan/protocol.hpp"

#include <gtest/gtest.h>

namespace holdfast::scan {
namespace {

using Kind = ClamdReply::Kind;

TEST(ClamdReply, CleanAndVirus) {
    EXPECT_EQ(parse_clamd_reply(std::string("stream: OK\0", 11)).kind, Kind::clean);
    auto v = parse_clamd_reply("stream: Test.EICAR.HDB FOUND");
    EXPECT_EQ(v.kind, Kind::virus);
    EXPECT_EQ(v.text, "Test.EICAR.HDB");
    auto x = parse_clamd_reply(
        "stream: Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68) FOUND\n");
    EXPECT_EQ(x.kind, Kind::virus);
    EXPECT_EQ(x.text, "Win.Test.EICAR_HDB-1");
}

TEST(ClamdReply, ErrorsAreErrors) {
    auto e = parse_clamd_reply("INSTREAM size limit exceeded. ERROR");
    EXPECT_EQ(e.kind, Kind::error);
    EXPECT_EQ(e.text, "INSTREAM size limit exceeded.");
}

TEST(ClamdReply, MalformedIsAnErrorNeverClean) {
    std::vector<std::string> all = {"",
                                    "OK",
                                    "stream: ",
                                    "stream: FOUND",
                                    "stream:  FOUND",
                                    "stream: OK trailing",
                                    "stream: a\rb FOUND",
                                    "stream: a b FOUND",
                                    "stream: OK\nstream: X FOUND",
                                    "\xff\xfe stream: OK"};
    all.push_back(std::string("stream: OK\0stream: OK", 21));
    all.push_back(std::string(5000, 'A'));
    all.push_back("stream: " + std::string(300, 'V') + " FOUND");
    for (const std::string& bad : all) {
        EXPECT_EQ(parse_clamd_reply(bad).kind, Kind::error) << bad;
    }
}

TEST(ClamdChunk, LengthInNetworkOrder) {
    EXPECT_EQ(clamd_chunk_header(0x01020304), std::string("\x01\x02\x03\x04"));
    EXPECT_EQ(clamd_chunk_header(0), std::string(4, '\0'));
}

TEST(RspamdReply, Actions) {
    auto r = parse_rspamd_reply(
        R"({"is_skipped":false,"score":1000.5,"required_score":15,"action":"reject","symbols":{}})");
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.action, SpamAction::reject);
    EXPECT_DOUBLE_EQ(r.score, 1000.5);
    EXPECT_DOUBLE_EQ(r.required, 15);
    auto s = parse_rspamd_reply(
        R"({"score":7,"action":"rewrite subject","subject":"*** SPAM *** hi\r\nBcc: x"})");
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(s.action, SpamAction::rewrite_subject);
    EXPECT_EQ(*s.subject, "*** SPAM *** hiBcc: x");  // no header injection
    for (const char* a : {"no action", "greylist", "add header", "soft reject"}) {
        auto x = parse_rspamd_reply(std::string(R"({"score":1,"action":")") + a + "\"}");
        ASSERT_TRUE(x.ok) << a;
        EXPECT_STREQ(action_name(x.action), a);
    }
}

TEST(RspamdReply, MalformedIsNotOk) {
    for (const char* bad :
         {"", "null", "[]", "{", "{\"action\":\"reject\"}", "{\"score\":1}",
          "{\"score\":\"1\",\"action\":\"reject\"}", "{\"score\":1,\"action\":\"destroy\"}",
          "{\"score\":1,\"action\":7}", "{\"score\":1,\"action\":\"reject\",\"subject\":1}",
          "{\"score\":1,\"action\":\"reject\",\"required_score\":\"x\"}",
          "{\"score\":1e999,\"action\":\"reject\"}", "{\"error\":\"bad message\"}",
          "HTTP/1.1 200 OK", "\xff\xfe"}) {
        EXPECT_FALSE(parse_rspamd_reply(bad).ok) << bad;
    }
}

TEST(RspamdHeaders, EnvelopeAndCleaned) {
    RspamdEnvelope e{"192.0.2.1", "helo\r\nX-Evil: 1", "", {"a@x.test", "b@y.test"}, "u", "Q1"};
    auto h = rspamd_headers(e);
    std::vector<std::pair<std::string, std::string>> want = {
        {"IP", "192.0.2.1"},  {"Helo", "heloX-Evil: 1"}, {"From", "<>"},
        {"Rcpt", "a@x.test"}, {"Rcpt", "b@y.test"},      {"User", "u"},
        {"Queue-Id", "Q1"}};
    EXPECT_EQ(h, want);
}

}  // namespace
}  // namespace holdfast::scan
