#include "scan/decision.hpp"

#include <gtest/gtest.h>

namespace holdfast::scan {
namespace {

using config::ScanOnError;

VirusResult virus(const char* name) {
    return {Status::ok, ClamdReply{ClamdReply::Kind::virus, name}, {}, {}};
}
VirusResult clean_virus() {
    return {Status::ok, ClamdReply{ClamdReply::Kind::clean, {}}, {}, {}};
}
VirusResult failed_virus() {
    return {Status::error, {}, "timeout", {}};
}
SpamResult spam(SpamAction a, double score = 5) {
    SpamResult s;
    s.status = Status::ok;
    s.reply.ok = true;
    s.reply.action = a;
    s.reply.score = score;
    s.reply.required = 15;
    return s;
}

TEST(Decide, StrictestFirst) {
    auto d = decide(virus("Test.EICAR.HDB"), spam(SpamAction::reject), ScanOnError::tempfail);
    EXPECT_EQ(d.refusal.code, 554);
    EXPECT_EQ(d.refusal.lines[0], "Virus found: Test.EICAR.HDB");
    d = decide(failed_virus(), spam(SpamAction::reject, 1000), ScanOnError::tempfail);
    EXPECT_EQ(d.refusal.code, 550);
    EXPECT_NE(d.refusal.lines[0].find("1000.00"), std::string::npos);
    d = decide(failed_virus(), spam(SpamAction::greylist), ScanOnError::tempfail);
    EXPECT_EQ(d.refusal.summary(), "451 4.7.1 Content scanner unavailable, try again later");
    d = decide(clean_virus(), spam(SpamAction::soft_reject), ScanOnError::accept);
    EXPECT_EQ(d.refusal.code, 451);
    EXPECT_FALSE(d.accept);
}

TEST(Decide, OnErrorAccept) {
    auto d = decide(failed_virus(), SpamResult{}, ScanOnError::accept);
    EXPECT_TRUE(d.accept);
    EXPECT_EQ(d.outcome, "error-accepted");
    EXPECT_TRUE(d.headers.empty());
}

TEST(Decide, HeadersWhenRspamdAnswered) {
    auto d = decide(clean_virus(), spam(SpamAction::no_action, 0.5), ScanOnError::tempfail);
    EXPECT_TRUE(d.accept);
    EXPECT_EQ(d.headers, "X-Spam-Status: No, score=0.50 required=15.00\r\nX-Spam-Score: 0.50\r\n");
    d = decide(VirusResult{}, spam(SpamAction::add_header, 7), ScanOnError::tempfail);
    EXPECT_EQ(d.headers.rfind("X-Spam-Status: Yes, score=7.00", 0), 0u);
    EXPECT_FALSE(d.subject);
    d = decide(VirusResult{}, spam(SpamAction::rewrite_subject, 7), ScanOnError::tempfail);
    EXPECT_EQ(*d.subject, "*** SPAM ***");
}

TEST(HeadEdit, PrependsAndReplacesSubject) {
    Decision d;
    d.headers = "X-Spam-Score: 7.00\r\n";
    std::string msg = "Received: x\r\nSubject: hi\r\n there\r\nFrom: a\r\n\r\nbody\r\n";
    HeadEdit e = plan_head_edit(msg, true, d);
    EXPECT_EQ(e.old_length, 0u);
    EXPECT_EQ(e.head, d.headers);
    d.subject = "[SPAM] hi there";
    e = plan_head_edit(msg, true, d);
    msg.replace(0, e.old_length, e.head);
    EXPECT_EQ(msg,
              "X-Spam-Score: 7.00\r\nReceived: x\r\nSubject: [SPAM] hi there\r\nFrom: "
              "a\r\n\r\nbody\r\n");
}

TEST(HeadEdit, SubjectInBodyOrBeyondWindowIsNotTouched) {
    Decision d;
    d.subject = "tag";
    std::string msg = "Received: x\r\n\r\nSubject: not a header\r\n";
    HeadEdit e = plan_head_edit(msg, true, d);
    EXPECT_EQ(e.old_length, 0u);
    EXPECT_EQ(e.head, "Subject: tag\r\n");  // the message had none
    e = plan_head_edit("Received: x\r\nFrom: a\r\nTo: b", false, d);
    EXPECT_EQ(e.head, "");  // the header section goes on past the window
    for (std::string odd : {std::string(""), std::string("\r\n"), std::string("Subject"),
                            std::string("Subject: a\r\n"), std::string(":\r\n\r\n")}) {
        HeadEdit x = plan_head_edit(odd, false, d);
        EXPECT_LE(x.old_length, odd.size());
    }
}

}  // namespace
}  // namespace holdfast::scan
