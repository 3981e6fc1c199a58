#include "relaytest/verdict.hpp"

#include <gtest/gtest.h>

using namespace holdfast::relaytest;
using holdfast::smtp::Reply;

namespace {

VectorResult vr(std::string id, Result r, bool via_target = false, std::string reply = "") {
    VectorResult v;
    v.id = std::move(id);
    v.result = r;
    v.via_target = via_target;
    v.reply = std::move(reply);
    return v;
}

}  // namespace

TEST(Classify, ReplyCodes) {
    EXPECT_EQ(classify(Reply(250, "2.1.5", "Ok")), Result::relayed);
    EXPECT_EQ(classify(Reply(251, "", "will forward")), Result::relayed);
    EXPECT_EQ(classify(Reply(550, "5.7.1", "<x>: relaying denied")), Result::refused);
    EXPECT_EQ(classify(Reply(554, "5.7.1", "Relay access denied")), Result::refused);
    EXPECT_EQ(classify(Reply(501, "5.1.3", "Bad recipient address syntax")), Result::refused);
    EXPECT_EQ(classify(Reply(450, "4.7.1", "greylisted")), Result::deferred);
    EXPECT_EQ(classify(Reply(421, "4.3.0", "closing")), Result::deferred);
    EXPECT_EQ(classify(Reply(530, "5.7.0", "Authentication required")), Result::auth_required);
    EXPECT_EQ(classify(Reply(530, "", "Must issue a STARTTLS command first")),
              Result::auth_required);
    EXPECT_EQ(classify(Reply(554, "5.7.0", "Authentication required")), Result::auth_required);
    EXPECT_EQ(classify(Reply(554, "5.7.0", "no")), Result::refused);
}

TEST(Classify, FalseAlarmHints) {
    EXPECT_TRUE(mentions_unknown_domain(
        Reply(450, "4.1.2", "<a@b.invalid>: Recipient address rejected: Domain not found")));
    EXPECT_FALSE(mentions_unknown_domain(Reply(554, "5.7.1", "Relay access denied")));
    EXPECT_TRUE(demands_tls(Reply(530, "5.7.0", "Must issue a STARTTLS command first")));
    EXPECT_FALSE(demands_tls(Reply(530, "5.7.0", "Authentication required")));
}

TEST(Decide, AllRefusedIsClosed) {
    auto d = decide({vr("a", Result::refused), vr("b", Result::refused)}, {});
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_EQ(d.reason, "all 2 vectors refused");
}

TEST(Decide, AnyRelayedIsOpenAndNamed) {
    auto d = decide(
        {vr("a", Result::refused), vr("nmap-02", Result::relayed), vr("c", Result::error)}, {});
    EXPECT_EQ(d.verdict, Verdict::open);
    EXPECT_NE(d.reason.find("nmap-02"), std::string::npos);
}

TEST(Decide, AuthEverywhereIsClosed) {
    auto d = decide({vr("a", Result::auth_required), vr("b", Result::auth_required)}, {});
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_NE(d.reason.find("requires authentication"), std::string::npos);
    d = decide({vr("a", Result::auth_required), vr("b", Result::refused)}, {});
    EXPECT_EQ(d.verdict, Verdict::closed);
}

TEST(Decide, DeferredOrErrorsAreInconclusive) {
    auto d = decide(
        {vr("a", Result::refused), vr("b", Result::deferred, false, "451 4.7.1 greylisted")}, {});
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("greylisted"), std::string::npos);
    d = decide({vr("a", Result::error, false, "timeout")}, {});
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("timeout"), std::string::npos);
}

TEST(Decide, NotRunToTheEndIsInconclusive) {
    Findings f;
    f.ran_to_end = false;
    f.stop_reason = "overall time limit reached";
    auto d = decide({vr("a", Result::refused)}, f);
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("time limit"), std::string::npos);
    EXPECT_EQ(decide({}, {}).verdict, Verdict::inconclusive);
}

TEST(Decide, AcceptAllIsAFalseAlarmWithoutDeliver) {
    Findings f;
    f.accept_all = true;
    auto d = decide({vr("nmap-02", Result::relayed)}, f);
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("--deliver"), std::string::npos);
    // With --deliver the DATA outcome decides: accepted message = open.
    f.deliver = true;
    EXPECT_EQ(decide({vr("nmap-02", Result::relayed)}, f).verdict, Verdict::open);
    // ... refused at DATA (the prober then records refused) = closed.
    EXPECT_EQ(decide({vr("nmap-02", Result::refused)}, f).verdict, Verdict::closed);
}

TEST(Decide, CatchAllOnlyExplainsRoutedVectors) {
    Findings f;
    f.catch_all = true;
    auto d = decide({vr("nmap-06", Result::relayed, true), vr("nmap-02", Result::refused)}, f);
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("catch-all"), std::string::npos);
    // A direct outside recipient accepted is open whatever the catch-all.
    d = decide({vr("nmap-06", Result::relayed, true), vr("nmap-02", Result::relayed)}, f);
    EXPECT_EQ(d.verdict, Verdict::open);
    ASSERT_FALSE(d.notes.empty());
    // Without a catch-all, a routed vector accepted is open.
    EXPECT_EQ(decide({vr("nmap-06", Result::relayed, true)}, {}).verdict, Verdict::open);
}

TEST(Decide, NotesForTlsAndUnknownDomain) {
    Findings f;
    f.tls_required = true;
    f.unknown_domain = true;
    auto d = decide({vr("a", Result::refused)}, f);
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_EQ(d.notes.size(), 2u);
}
