#pragma once
// The DMARC verdict (RFC 7489 6.6): a pass needs SPF or DKIM to pass for a
// domain aligned with the From: domain (relaxed: the same organizational
// domain; strict: the same domain). Pure: the caller looks up the record.
#include <optional>
#include <string>
#include <vector>

#include "dmarc/record.hpp"

namespace holdfast::dmarc {

enum class Result { none, pass, fail, temperror, permerror };
const char* result_name(Result r);

struct Input {
    std::string from_domain;  // RFC5322.From, lower case ("" = none found)
    bool spf_pass = false;
    std::string spf_domain;                 // MAIL FROM (or HELO) domain SPF checked
    std::vector<std::string> dkim_passing;  // d= of every DKIM signature that passed
};

struct Evaluation {
    Result result = Result::none;
    Policy policy = Policy::none;  // what the domain asks for this message (after pct)
    bool spf_aligned = false, dkim_aligned = false;
};

// `record` found at _dmarc.<from> (at_org = false) or at the organizational
// domain (at_org = true: sp= applies). `sample` is 0-99, compared with pct.
Evaluation evaluate(const PublicSuffixList& psl, const Input& in, const Record& record, bool at_org,
                    unsigned sample);

}  // namespace holdfast::dmarc
