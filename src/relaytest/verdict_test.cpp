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
    v.rcpt_tried = true;
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
    // A demand for STARTTLS is not a demand for authentication.
    EXPECT_EQ(classify(Reply(530, "5.7.0", "Must issue a STARTTLS command first")),
              Result::refused);
    EXPECT_EQ(classify(Reply(530, "", "Must issue a STARTTLS command first")), Result::refused);
    EXPECT_EQ(classify(Reply(554, "5.7.0", "Authentication required")), Result::auth_required);
    EXPECT_EQ(classify(Reply(554, "5.7.0", "no")), Result::refused);
}

TEST(Classify, FourXxThatRefusesRelayingIsARefusal) {
    // Postfix's default defer_unauth_destination, Exim, Exchange, Sendmail.
    Reply postfix(454, "4.7.1", "<relaytest@t1.relay-test.invalid>: Relay access denied");
    EXPECT_EQ(classify(postfix), Result::refused);
    EXPECT_EQ(reply_note(postfix), "a 4xx whose text refuses relaying: counted as a refusal");
    EXPECT_EQ(classify(Reply(451, "", "relay not permitted")), Result::refused);
    EXPECT_EQ(classify(Reply(450, "4.7.1", "Unable to relay")), Result::refused);
    EXPECT_EQ(classify(Reply(450, "4.7.1", "<a@b>... Relaying denied")), Result::refused);
    // Greylisting uses 4.7.1 too: still deferred, and the note says why.
    Reply grey(451, "4.7.1", "Greylisted, try again in 60 seconds");
    EXPECT_EQ(classify(grey), Result::deferred);
    EXPECT_NE(reply_note(grey).find("deferred"), std::string::npos);
    EXPECT_EQ(classify(Reply(450, "4.2.0", "Greylisted, see http://x/relay.html")),
              Result::deferred);
    // Sendmail's "temporarily denied" (a DNS failure) is not a refusal yet.
    EXPECT_EQ(classify(Reply(450, "4.7.1", "Relaying temporarily denied. Cannot resolve PTR")),
              Result::deferred);
    EXPECT_EQ(classify(Reply(451, "4.3.0", "Temporary lookup failure")), Result::deferred);
    EXPECT_EQ(reply_note(Reply(550, "5.7.1", "Relay access denied")), "");
    EXPECT_NE(reply_note(Reply(530, "5.7.0", "Must issue a STARTTLS command first")).find("TLS"),
              std::string::npos);
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
    // ... and no catch-all note: a server that relays anywhere accepts any
    // local part at its own name by relaying it, not by a catch-all.
    for (const auto& n : d.notes) EXPECT_EQ(n.find("catch-all"), std::string::npos) << n;
    // Without a catch-all, a routed vector accepted is open.
    EXPECT_EQ(decide({vr("nmap-06", Result::relayed, true)}, {}).verdict, Verdict::open);
}

TEST(Decide, NotesForTlsAndUnknownDomain) {
    Findings f;
    f.tls_required = true;
    f.unknown_domain = true;
    VectorResult in_tls = vr("a", Result::refused);
    in_tls.tls = true;
    auto d = decide({vr("a", Result::refused), in_tls}, f);
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_EQ(d.notes.size(), 2u);
    // STARTTLS demanded, but nothing ran inside TLS: relaying was never tested.
    d = decide({vr("a", Result::refused)}, f);
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_NE(d.reason.find("STARTTLS"), std::string::npos);
}

TEST(Decide, StockPostfix454IsClosed) {
    std::string reply = "454 4.7.1 <relaytest@t1.invalid>: Relay access denied";
    auto d = decide({vr("nmap-01", Result::refused, false, reply),
                     vr("nmap-02", Result::refused, false, reply)},
                    {});
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_EQ(d.reason, "all 2 vectors refused (2 of them with a 4xx whose text refuses relaying)");
}

TEST(Decide, RetryFourXxIsNotSuggestedTwice) {
    std::vector<VectorResult> v = {vr("a", Result::deferred, false, "451 4.7.1 Greylisted")};
    auto d = decide(v, {});
    EXPECT_NE(d.reason.find("--retry-4xx retries them"), std::string::npos);
    Findings f;
    f.retried_4xx = true;
    d = decide(v, f);
    EXPECT_EQ(d.verdict, Verdict::inconclusive);
    EXPECT_EQ(d.reason.find("--retry-4xx retries them"), std::string::npos);
    EXPECT_NE(d.reason.find("after --retry-4xx"), std::string::npos);
}

TEST(Decide, CountsWhatWasReallyTested) {
    VectorResult subst = vr("nmap-05", Result::refused, true, "550 relay not permitted");
    subst.substitute_from = "<antispam@t1.invalid>";
    VectorResult untested = vr("nmap-04", Result::refused, false, "501 domain literals");
    untested.rcpt_tried = false;
    auto d = decide({vr("nmap-02", Result::refused), subst}, {});
    EXPECT_EQ(d.verdict, Verdict::closed);
    EXPECT_EQ(d.reason,
              "all 2 vectors refused; recipients tested: 2 of 2, of which 1 with a substitute "
              "sender (the vector's own sender was refused)");
    d = decide({vr("nmap-02", Result::refused), subst, untested}, {});
    EXPECT_NE(d.reason.find("recipients tested: 2 of 3, of which 1"), std::string::npos);
    EXPECT_NE(d.reason.find("1 never reached RCPT"), std::string::npos);
}

TEST(Decide, RoutedThroughARelayDomainIsTheBackupMxCase) {
    VectorResult pct = vr("pct-domain", Result::relayed, true);
    pct.via_domain = true;
    pct.rcpt_to = "<relaytest%t1.invalid@example.org>";
    auto d = decide({vr("nmap-02", Result::refused), pct}, {});
    EXPECT_EQ(d.verdict, Verdict::open);
    EXPECT_NE(d.reason.find("RFC 2505"), std::string::npos);
    EXPECT_NE(d.reason.find("example.org's own server"), std::string::npos);
    EXPECT_NE(d.reason.find("pct-domain"), std::string::npos);
    // Routed through the target's own name: the target resolves it itself.
    d = decide({vr("nmap-06", Result::relayed, true), pct}, {});
    EXPECT_EQ(d.verdict, Verdict::open);
    EXPECT_EQ(d.reason.find("RFC 2505"), std::string::npos);
    EXPECT_NE(d.reason.find("target itself resolves"), std::string::npos);
}
