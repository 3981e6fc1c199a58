#include "dmarc/evaluate.hpp"

namespace holdfast::dmarc {

const char* result_name(Result r) {
    switch (r) {
        case Result::none:
            return "none";
        case Result::pass:
            return "pass";
        case Result::fail:
            return "fail";
        case Result::temperror:
            return "temperror";
        case Result::permerror:
            return "permerror";
    }
    return "?";
}

Evaluation evaluate(const PublicSuffixList& psl, const Input& in, const Record& record, bool at_org,
                    unsigned sample) {
    Evaluation e;
    const std::string from_org = psl.organizational_domain(in.from_domain);
    auto aligned = [&](const std::string& d, bool strict) {
        if (d.empty()) return false;
        return strict ? d == in.from_domain : psl.organizational_domain(d) == from_org;
    };
    e.spf_aligned = in.spf_pass && aligned(in.spf_domain, record.strict_spf);
    for (const auto& d : in.dkim_passing)
        e.dkim_aligned = e.dkim_aligned || aligned(d, record.strict_dkim);
    if (e.spf_aligned || e.dkim_aligned) {
        e.result = Result::pass;
        return e;
    }
    e.result = Result::fail;
    Policy p = at_org && record.sp ? *record.sp : record.p;
    // pct: a message outside the sample gets the next milder policy (RFC 7489 6.6.4).
    if (sample >= record.pct) {
        p = p == Policy::reject ? Policy::quarantine : Policy::none;
    }
    e.policy = p;
    return e;
}

}  // namespace holdfast::dmarc
