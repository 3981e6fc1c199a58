#pragma once
// Verdicts: what one reply means for one vector, and what all of them mean
// together. Pure functions; the rules are in docs/relay-test.md.
#include <string>
#include <vector>

#include "relaytest/report.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::relaytest {

// 2xx/3xx relayed; 530 or 5.7.0 + "auth" auth-required, but a demand for
// STARTTLS first is refused (demands_tls; the TLS repeats test the relay);
// other 5xx refused; a 4xx whose text refuses relaying (refuses_relaying)
// refused; other 4xx deferred.
Result classify(const smtp::Reply& r);

// The text refuses relaying ("Relay access denied", "relay not permitted",
// "Unable to relay", "Relaying denied" and the like), not just for now
// ("temporarily") and not a greylisting. A 4xx saying so is a refusal:
// Postfix's default defer_unauth_destination answers 454 4.7.1 ... Relay
// access denied. The enhanced code cannot decide (greylisting uses 4.7.1 too).
bool refuses_relaying(const smtp::Reply& r);

// What a vector's note should say about its deciding reply: which kind of
// 4xx it is, or that it demands STARTTLS; "" when the result says it all.
std::string reply_note(const smtp::Reply& r);

// The server's reply says the domain does not exist (a refusal that says
// nothing about relaying: our default test domain is under .invalid).
bool mentions_unknown_domain(const smtp::Reply& r);
// The server wants STARTTLS before it takes mail.
bool demands_tls(const smtp::Reply& r);

// What the prober learnt besides per-vector results.
struct Findings {
    bool ran_to_end = true;       // every planned vector got a result
    std::string stop_reason;      // why not, when !ran_to_end
    bool deliver = false;         // --deliver: relayed means the message was accepted
    bool accept_all = false;      // 2xx to an invalid RCPT (<>): RCPT replies prove nothing
    bool catch_all = false;       // 2xx to a random local part at the target's own name (only
                                  // probed when no outside recipient was relayed directly)
    bool tls_required = false;    // plain MAIL/RCPT answered "STARTTLS first"
    bool retried_4xx = false;     // --retry-4xx was given: do not suggest it
    bool unknown_domain = false;  // refusals mentioned the test domain not existing
};

struct Decision {
    Verdict verdict = Verdict::inconclusive;
    std::string reason;
    std::vector<std::string> notes;
};

Decision decide(const std::vector<VectorResult>& vectors, const Findings& f);

}  // namespace holdfast::relaytest
