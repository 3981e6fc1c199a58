#pragma once
// The outcome of a relay test: per-vector results, the verdict and why.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "relaytest/transcript.hpp"

namespace holdfast::relaytest {

// Per vector (CONTRACT.md: relayed|refused|deferred|auth-required|error).
enum class Result { relayed, refused, deferred, auth_required, error };
std::string_view to_string(Result r);

enum class Verdict { open, closed, inconclusive };
std::string_view to_string(Verdict v);

struct VectorResult {
    std::string id;
    std::string probes;       // what the vector tries
    std::string helo;         // the greeting used
    std::string mail_from;    // exactly as sent after "MAIL FROM:"
    std::string rcpt_to;      // exactly as sent after "RCPT TO:"
    bool tls = false;         // sent inside STARTTLS
    bool via_target = false;  // the written domain is the target's own (routing in the local part)
    bool via_domain = false;  // ... the banner's parent domain, not the target's own name
    // The vector's sender was refused, so its recipient was tried again after
    // MAIL FROM with this plain sender (our --from); "" when not needed.
    std::string substitute_from;
    bool rcpt_tried = false;  // an RCPT reply decided the result (the recipient was tested)
    Result result = Result::error;
    std::string reply;  // the deciding reply, one line ("550 5.7.1 ...") or what went wrong
    std::string note;   // why, when the reply alone does not say (e.g. "refused at DATA")
    int session = 0;
};

struct Report {
    std::string target;   // "host:port" as asked
    std::string address;  // the IP we talked to, "" if we never connected
    std::string banner;   // the 220 greeting, one line
    bool starttls_offered = false;
    bool tls_used = false;
    bool deliver = false;
    std::string token;  // the unique token in --deliver probe messages
    std::string to;     // the outside recipient the battery aimed at
    Verdict verdict = Verdict::inconclusive;
    std::string reason;
    std::vector<std::string> notes;  // false-alarm findings and other remarks
    std::vector<VectorResult> vectors;
    std::size_t sessions = 0;
    double elapsed = 0;
    bool has_transcript = false;
    Transcript transcript;

    int exit_code() const;  // 0 closed, 1 open, 2 inconclusive
};

// Human-readable: the table of vectors, notes, the verdict line, and the
// transcript when it was kept.
std::string to_text(const Report& r);
// One JSON document (CONTRACT.md fields plus extras).
std::string to_json(const Report& r);

}  // namespace holdfast::relaytest
