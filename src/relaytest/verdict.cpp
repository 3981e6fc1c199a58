#include "relaytest/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "relaytest/vector.hpp"
#include "util/strings.hpp"

namespace holdfast::relaytest {
namespace {

bool text_contains(const smtp::Reply& r, std::string_view needle) {
    for (const std::string& line : r.lines) {
        if (util::ascii_lower(line).find(needle) != std::string::npos) return true;
    }
    return false;
}

std::string join_ids(const std::vector<const VectorResult*>& v, std::size_t max = 6) {
    std::string out;
    for (std::size_t i = 0; i < v.size() && i < max; ++i) {
        if (!out.empty()) out += ", ";
        out += v[i]->id + (v[i]->tls ? " (TLS)" : "");
    }
    if (v.size() > max) out += fmt::format(" and {} more", v.size() - max);
    return out;
}

// "tested 55, of which 13 with a substitute sender": how many recipients
// really got an RCPT answer, "" when that is all of them with their own sender.
std::string tested_summary(const std::vector<VectorResult>& vectors) {
    std::size_t tested = 0, substituted = 0;
    for (const VectorResult& v : vectors) {
        if (!v.rcpt_tried) continue;
        ++tested;
        if (!v.substitute_from.empty()) ++substituted;
    }
    if (tested == vectors.size() && substituted == 0) return "";
    std::string out = fmt::format("; recipients tested: {} of {}", tested, vectors.size());
    if (substituted > 0) {
        out += fmt::format(
            ", of which {} with a substitute sender (the vector's own sender was refused)",
            substituted);
    }
    if (tested < vectors.size()) {
        out += fmt::format("; {} never reached RCPT (refused before it: see their notes)",
                           vectors.size() - tested);
    }
    return out;
}

}  // namespace

bool refuses_relaying(const smtp::Reply& r) {
    if (text_contains(r, "temporar") || text_contains(r, "greylist") ||
        text_contains(r, "graylist")) {
        return false;
    }
    for (const char* s :
         {"relay access denied",    "relay access refused", "relaying denied",
          "relay denied",           "relay not permitted",  "relaying not permitted",
          "relay not allowed",      "relaying not allowed", "relaying is not allowed",
          "relay prohibited",       "relaying prohibited",  "relaying refused",
          "relay rejected",         "relaying rejected",    "relaying disallowed",
          "unable to relay",        "cannot relay",         "can't relay",
          "not permitted to relay", "not allowed to relay", "we do not relay",
          "does not relay",         "no relaying"}) {
        if (text_contains(r, s)) return true;
    }
    return false;
}

Result classify(const smtp::Reply& r) {
    if (r.code >= 200 && r.code < 400) return Result::relayed;
    if (demands_tls(r)) return Result::refused;
    if (r.code == 530) return Result::auth_required;
    if (r.code >= 500) {
        bool auth_code = r.enhanced == "5.7.0" || r.enhanced == "5.7.57";
        return auth_code && text_contains(r, "auth") ? Result::auth_required : Result::refused;
    }
    if (r.code >= 400) return refuses_relaying(r) ? Result::refused : Result::deferred;
    return Result::error;
}

std::string reply_note(const smtp::Reply& r) {
    if (demands_tls(r)) {
        return "the server demands STARTTLS first (not an authentication demand): refused in "
               "plain text; the repeats inside TLS test the relay";
    }
    if (r.code >= 400 && r.code < 500) {
        return refuses_relaying(r)
                   ? "a 4xx whose text refuses relaying: counted as a refusal"
                   : "a 4xx that does not refuse relaying: deferred (greylisting or a temporary "
                     "failure)";
    }
    return "";
}

bool mentions_unknown_domain(const smtp::Reply& r) {
    if (!r.permanent() && !r.transient()) return false;
    for (const char* s :
         {"domain not found", "unknown domain", "host or domain name not found",
          "does not accept mail", "domain does not exist", "no such domain", "unroutable"}) {
        if (text_contains(r, s)) return true;
    }
    return false;
}

bool demands_tls(const smtp::Reply& r) {
    return (r.code == 530 || r.enhanced == "5.7.0" || r.enhanced == "5.7.10") &&
           (text_contains(r, "starttls") || text_contains(r, " tls"));
}

Decision decide(const std::vector<VectorResult>& vectors, const Findings& f) {
    Decision d;
    std::vector<const VectorResult*> relayed, direct, deferred, errors, auth, refused;
    for (const VectorResult& v : vectors) {
        switch (v.result) {
            case Result::relayed:
                relayed.push_back(&v);
                if (!v.via_target) direct.push_back(&v);
                break;
            case Result::deferred:
                deferred.push_back(&v);
                break;
            case Result::error:
                errors.push_back(&v);
                break;
            case Result::auth_required:
                auth.push_back(&v);
                break;
            case Result::refused:
                refused.push_back(&v);
                break;
        }
    }
    if (f.tls_required) {
        d.notes.push_back(
            "the server demands STARTTLS before mail: the whole battery was re-run inside TLS");
    }
    if (f.unknown_domain) {
        d.notes.push_back(
            "some refusals say the test domain does not exist: a relay that checks recipient "
            "domains refuses those for that reason; re-run with --to-domain (or --to) naming a "
            "real domain you control to be sure");
    }
    if (!relayed.empty()) {
        if (f.deliver) {
            d.verdict = Verdict::open;
            d.reason = fmt::format(
                "accepted a message for an outside recipient with --deliver ({}); confirm by "
                "finding the token in that mailbox",
                join_ids(relayed));
            return d;
        }
        if (f.accept_all) {
            d.verdict = Verdict::inconclusive;
            d.reason = fmt::format(
                "{} vector(s) got 2xx to RCPT ({}), but the server also accepts the invalid "
                "recipient <>: it answers 2xx to every RCPT, so RCPT replies prove nothing "
                "(false alarm likely: such servers refuse at DATA or drop the mail); run with "
                "--deliver to decide",
                relayed.size(), join_ids(relayed));
            return d;
        }
        std::vector<const VectorResult*> at_domain, at_target;
        for (const VectorResult* v : relayed) {
            if (!v->via_target) continue;
            (v->via_domain ? at_domain : at_target).push_back(v);
        }
        if (!direct.empty()) {
            d.verdict = Verdict::open;
            d.reason = fmt::format("{} of {} vectors relayed: {}", relayed.size(), vectors.size(),
                                   join_ids(relayed));
            return d;
        }
        if (!at_target.empty() && !f.catch_all) {
            d.verdict = Verdict::open;
            d.reason = fmt::format(
                "{} of {} vectors relayed, all with the outside address routed through the "
                "target's own names ({}): the target itself resolves the routing (%, !, quoted "
                "@) and passes the mail on",
                relayed.size(), vectors.size(), join_ids(relayed));
            return d;
        }
        if (!at_domain.empty()) {
            // RFC 2505 2.13.1: the target relays for that domain (a backup MX),
            // and passes the routed address on to the domain's own server.
            std::string domain = written_domain(at_domain.front()->rcpt_to);
            d.verdict = Verdict::open;
            d.reason = fmt::format(
                "only recipients routed through {} were accepted ({}): the target relays for "
                "that domain (a backup MX, say), so it passes this mail on to {}'s own server, "
                "and that is an open relay only if that server honours the routing (%, !, "
                "quoted @) - RFC 2505 2.13.1's backup-MX case, not a direct relay; the target "
                "should refuse sender-specified routing to the domains it relays for",
                domain, join_ids(at_domain), domain);
            if (!at_target.empty()) {
                d.notes.push_back(fmt::format(
                    "recipients routed through the target's own name were accepted too ({}), "
                    "but it accepts any local part there (catch-all): these may be local "
                    "deliveries",
                    join_ids(at_target)));
            }
            return d;
        }
        d.verdict = Verdict::inconclusive;
        d.reason = fmt::format(
            "only recipients routed through the target's own names were accepted ({}), and "
            "the target accepts any local part there (catch-all): these may be local "
            "deliveries, not relaying; run with --deliver to decide",
            join_ids(relayed));
        return d;
    }
    if (!f.ran_to_end) {
        d.verdict = Verdict::inconclusive;
        d.reason = "the test could not run to the end: " + f.stop_reason;
        return d;
    }
    if (vectors.empty()) {
        d.verdict = Verdict::inconclusive;
        d.reason = "no vector was run";
        return d;
    }
    if (!errors.empty() || !deferred.empty()) {
        d.verdict = Verdict::inconclusive;
        std::string why;
        if (!deferred.empty() && f.retried_4xx) {
            why = fmt::format(
                "{} vector(s) still deferred with 4xx after --retry-4xx retried them "
                "(greylisting or a temporary failure; a later run may decide): {}",
                deferred.size(), deferred.front()->reply);
        } else if (!deferred.empty()) {
            why = fmt::format(
                "{} vector(s) deferred with 4xx (greylisting or a temporary failure; "
                "--retry-4xx retries them): {}",
                deferred.size(), deferred.front()->reply);
        }
        if (!errors.empty()) {
            if (!why.empty()) why += "; ";
            why += fmt::format("{} vector(s) failed: {}", errors.size(), errors.front()->reply);
        }
        d.reason = "no vector relayed, but not every vector got an answer: " + why;
        return d;
    }
    if (f.tls_required && std::none_of(vectors.begin(), vectors.end(), [](const VectorResult& v) {
            return v.tls && v.result != Result::error;
        })) {
        d.verdict = Verdict::inconclusive;
        d.reason =
            "the server demands STARTTLS before mail, and no vector could be run inside TLS: "
            "relaying was never really tested";
        return d;
    }
    d.verdict = Verdict::closed;
    if (refused.empty()) {
        d.reason = fmt::format(
            "the server requires authentication for all {} vectors: not a relay for "
            "unauthenticated clients",
            vectors.size());
    } else if (!auth.empty()) {
        d.reason = fmt::format("all {} vectors refused ({} of them asked for authentication)",
                               vectors.size(), auth.size());
    } else {
        d.reason = fmt::format("all {} vectors refused", vectors.size());
    }
    std::size_t as_refusal = static_cast<std::size_t>(std::count_if(
        refused.begin(), refused.end(),
        [](const VectorResult* v) { return !v->reply.empty() && v->reply.front() == '4'; }));
    if (as_refusal > 0) {
        d.reason += fmt::format(" ({} of them with a 4xx whose text refuses relaying)", as_refusal);
    }
    d.reason += tested_summary(vectors);
    return d;
}

}  // namespace holdfast::relaytest
