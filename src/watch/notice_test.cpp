#include "watch/notice.hpp"

#include <gtest/gtest.h>

namespace holdfast::watch {
namespace {

TEST(WatchNotice, ViolationNamesVectorsChargeAndHowToClose) {
    store::Customer c;
    c.name = "acme";
    store::Violation v;
    v.id = 7;
    v.target = "192.0.2.1:25";
    v.charge = 100;
    v.test = 12;
    relaytest::Report r;
    r.verdict = relaytest::Verdict::open;
    r.reason = "relayed nmap-02";
    relaytest::VectorResult ok;
    ok.id = "nmap-02";
    ok.mail_from = "<antispam@x.test>";
    ok.rcpt_to = "<relaytest@x.test>";
    ok.result = relaytest::Result::relayed;
    ok.reply = "250 2.1.5 Ok";
    relaytest::VectorResult no = ok;
    no.id = "nmap-05";
    no.result = relaytest::Result::refused;
    r.vectors = {ok, no};
    auto n = violation_notice(c, v, r, 2);
    EXPECT_NE(n.subject.find("192.0.2.1:25"), std::string::npos);
    EXPECT_NE(n.body.find("$100"), std::string::npos);
    EXPECT_NE(n.body.find("nmap-02"), std::string::npos);
    EXPECT_EQ(n.body.find("nmap-05 "), std::string::npos);
    EXPECT_NE(n.body.find("How to close the relay"), std::string::npos);
    EXPECT_NE(n.body.find("number 2"), std::string::npos);
    v.charge = 0;
    EXPECT_NE(violation_notice(c, v, r, 1).body.find("no charge"), std::string::npos);
}

TEST(WatchNotice, ComposedMessageHasHeadersAndCrlf) {
    NoticeText n{"Subject here", "line one\nline two\n"};
    auto m = compose("postmaster@mx.test", {"a@x.test", "abuse@isp.test"}, n, "mx.test", "ID1",
                     std::chrono::system_clock::time_point(std::chrono::seconds(0)));
    EXPECT_NE(m.find("From: Holdfast watch <postmaster@mx.test>\r\n"), std::string::npos);
    EXPECT_NE(m.find("To: a@x.test, abuse@isp.test\r\n"), std::string::npos);
    EXPECT_NE(m.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
    EXPECT_NE(m.find("\r\n\r\nline one\r\nline two\r\n"), std::string::npos);
    EXPECT_EQ(m.find("\n\n"), std::string::npos);
}

TEST(WatchNotice, ListingAndDelisting) {
    auto l = listed_notice("acme", "192.0.2.1", "bl.test", {"127.0.0.2"}, "see bl.test");
    EXPECT_NE(l.subject.find("bl.test"), std::string::npos);
    EXPECT_NE(l.body.find("127.0.0.2"), std::string::npos);
    EXPECT_NE(delisted_notice("acme", "192.0.2.1", "bl.test").body.find("no longer listed"),
              std::string::npos);
}

}  // namespace
}  // namespace holdfast::watch
