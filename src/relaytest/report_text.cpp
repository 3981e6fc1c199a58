// The human form of a report: a table (one row per vector), notes, the
// verdict line, then the transcript if it was kept.
#include <fmt/format.h>

#include <algorithm>

#include "relaytest/report.hpp"

namespace holdfast::relaytest {
namespace {

std::string cut(std::string_view s, std::size_t n) {
    if (s.size() <= n) return std::string(s);
    return std::string(s.substr(0, n - 3)) + "...";
}

}  // namespace

std::string_view to_string(Result r) {
    switch (r) {
        case Result::relayed:
            return "relayed";
        case Result::refused:
            return "refused";
        case Result::deferred:
            return "deferred";
        case Result::auth_required:
            return "auth-required";
        case Result::error:
            return "error";
    }
    return "error";
}

std::string_view to_string(Verdict v) {
    switch (v) {
        case Verdict::open:
            return "open";
        case Verdict::closed:
            return "closed";
        case Verdict::inconclusive:
            return "inconclusive";
    }
    return "inconclusive";
}

int Report::exit_code() const {
    switch (verdict) {
        case Verdict::closed:
            return 0;
        case Verdict::open:
            return 1;
        case Verdict::inconclusive:
            return 2;
    }
    return 2;
}

std::string to_text(const Report& r) {
    std::string out = fmt::format("relay test of {}", r.target);
    if (!r.address.empty()) out += fmt::format(" ({})", r.address);
    out += "\n";
    if (!r.banner.empty()) out += fmt::format("banner: {}\n", r.banner);
    out += fmt::format("STARTTLS: {}\n", r.starttls_offered
                                             ? (r.tls_used ? "offered, used" : "offered, not used")
                                             : "not offered");
    if (r.deliver) out += fmt::format("delivery probes to {} with token {}\n", r.to, r.token);
    std::size_t id_w = 2, rcpt_w = 7;
    for (const auto& v : r.vectors) {
        id_w = std::max(id_w, v.id.size());
        rcpt_w = std::max(rcpt_w, std::min<std::size_t>(v.rcpt_to.size(), 44));
    }
    if (!r.vectors.empty()) {
        out += fmt::format("\n{:<{}}  {:<3}  {:<13}  {:<{}}  {}\n", "id", id_w, "tls", "result",
                           "RCPT TO", rcpt_w, "reply");
        for (const auto& v : r.vectors) {
            std::string reply = cut(v.reply, 72);
            if (!v.note.empty()) reply += " [" + v.note + "]";
            out +=
                fmt::format("{:<{}}  {:<3}  {:<13}  {:<{}}  {}\n", v.id, id_w, v.tls ? "yes" : "",
                            to_string(v.result), cut(v.rcpt_to, 44), rcpt_w, reply);
        }
    }
    if (!r.notes.empty()) {
        out += "\nnotes:\n";
        for (const auto& n : r.notes) out += "  - " + n + "\n";
    }
    out += fmt::format("\nverdict: {} - {}\n", to_string(r.verdict), r.reason);
    if (r.has_transcript) {
        out += "\ntranscript:\n";
        for (const auto& line : r.transcript.lines()) out += format_line(line) + "\n";
    }
    return out;
}

}  // namespace holdfast::relaytest
