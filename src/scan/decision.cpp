#include "scan/decision.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace holdfast::scan {

const char* status_name(Status s) {
    switch (s) {
        case Status::off:
            return "off";
        case Status::ok:
            return "ok";
        case Status::error:
            return "error";
    }
    return "?";
}

namespace {

Decision refuse(int code, const char* enhanced, std::string text, std::string outcome) {
    Decision d;
    d.accept = false;
    d.refusal = smtp::Reply(code, enhanced, std::move(text));
    d.outcome = std::move(outcome);
    return d;
}

}  // namespace

Decision decide(const VirusResult& virus, const SpamResult& spam, config::ScanOnError on_error) {
    if (virus.status == Status::ok && virus.reply.kind == ClamdReply::Kind::virus) {
        return refuse(554, "5.7.1", "Virus found: " + virus.reply.text, "virus");
    }
    const RspamdReply& r = spam.reply;
    const bool answered = spam.status == Status::ok;
    if (answered && r.action == SpamAction::reject) {
        return refuse(
            550, "5.7.1",
            fmt::format("Spam message rejected (score {:.2f} / {:.2f})", r.score, r.required),
            "spam");
    }
    const bool failed = virus.status == Status::error || spam.status == Status::error;
    if (failed && on_error == config::ScanOnError::tempfail) {
        return refuse(451, "4.7.1", "Content scanner unavailable, try again later", "error");
    }
    if (answered && (r.action == SpamAction::soft_reject || r.action == SpamAction::greylist)) {
        return refuse(451, "4.7.1",
                      r.action == SpamAction::greylist ? "Greylisted, try again later"
                                                       : "Try again later (spam suspected)",
                      r.action == SpamAction::greylist ? "greylist" : "soft-reject");
    }
    Decision d;
    d.outcome = failed ? "error-accepted" : "clean";
    if (answered) {
        const bool spammy =
            r.action == SpamAction::add_header || r.action == SpamAction::rewrite_subject;
        d.headers = fmt::format("X-Spam-Status: {}, score={:.2f} required={:.2f}\r\n",
                                spammy ? "Yes" : "No", r.score, r.required);
        d.headers += fmt::format("X-Spam-Score: {:.2f}\r\n", r.score);
        if (spammy) d.outcome = failed ? "tag-error-accepted" : "tag";
        if (r.action == SpamAction::rewrite_subject) d.subject = r.subject;
        if (r.action == SpamAction::rewrite_subject && !d.subject) d.subject = "*** SPAM ***";
    }
    return d;
}

namespace {

// The header section's fields in `window`: calls fn(start, end, name) for
// each complete field (end after its last CRLF, continuation lines
// included). Returns true when the empty line ending the section was seen.
template <typename Fn>
bool each_field(std::string_view w, Fn fn) {
    std::size_t at = 0;
    while (at < w.size()) {
        std::size_t eol = w.find("\r\n", at);
        if (eol == std::string_view::npos) return false;
        if (eol == at) return true;  // the empty line
        std::size_t end = eol + 2;
        // Folded continuation lines start with a space or a tab.
        while (end < w.size() && (w[end] == ' ' || w[end] == '\t')) {
            std::size_t next = w.find("\r\n", end);
            if (next == std::string_view::npos) return false;
            end = next + 2;
        }
        if (end == w.size()) return false;  // a fold may follow beyond the window
        std::string_view line = w.substr(at, eol - at);
        std::size_t colon = line.find(':');
        fn(at, end, colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon));
        at = end;
    }
    return false;
}

}  // namespace

HeadEdit plan_head_edit(std::string_view window, bool whole, const Decision& d) {
    HeadEdit e;
    e.head = d.headers;
    if (!d.subject) return e;
    std::optional<std::pair<std::size_t, std::size_t>> subject;
    bool ended = each_field(window, [&](std::size_t start, std::size_t end, std::string_view n) {
        if (!subject && util::ascii_lower(std::string(n)) == "subject") {
            subject = std::pair{start, end};
        }
    });
    std::string field = "Subject: " + *d.subject + "\r\n";
    if (subject) {
        e.old_length = subject->second;
        e.head += window.substr(0, subject->first);
        e.head += field;
    } else if (ended || whole) {
        e.head += field;  // the message has none
    }
    return e;
}

}  // namespace holdfast::scan
