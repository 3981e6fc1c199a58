#include "relaytest/verdict.hpp"

#include <fmt/format.h>

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

}  // namespace

Result classify(const smtp::Reply& r) {
    if (r.code >= 200 && r.code < 400) return Result::relayed;
    if (r.code == 530) return Result::auth_required;
    if (r.code >= 500) {
        bool auth_code = r.enhanced == "5.7.0" || r.enhanced == "5.7.57";
        return auth_code && text_contains(r, "auth") ? Result::auth_required : Result::refused;
    }
    if (r.code >= 400) return Result::deferred;
    return Result::error;
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
        if (direct.empty() && f.catch_all) {
            d.verdict = Verdict::inconclusive;
            d.reason = fmt::format(
                "only recipients routed through the target's own names were accepted ({}), and "
                "the target accepts any local part there (catch-all): these may be local "
                "deliveries, not relaying; run with --deliver to decide",
                join_ids(relayed));
            return d;
        }
        d.verdict = Verdict::open;
        d.reason = fmt::format("{} of {} vectors relayed: {}", relayed.size(), vectors.size(),
                               join_ids(relayed));
        if (f.catch_all) {
            d.notes.push_back(
                "the target accepts any local part at its own name (catch-all); the routed "
                "vectors may be local deliveries, the others are not");
        }
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
        if (!deferred.empty()) {
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
    return d;
}

}  // namespace holdfast::relaytest
