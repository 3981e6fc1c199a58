#pragma once
// From what the scanners said to what the client hears (pure). The order,
// strictest first: a virus (554), spam to reject (550), a scanner that
// failed under on_error = tempfail (451), rspamd's soft reject or greylist
// (451), else accepted — with X-Spam-* headers when rspamd answered and a
// tagged subject when it asks for one (docs/scanning.md).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "scan/protocol.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::scan {

using Millis = std::chrono::milliseconds;

// One scanner's part: not asked (not configured), answered, or failed
// (refused, timed out, talked nonsense).
enum class Status { off, ok, error };
const char* status_name(Status s);

struct VirusResult {
    Status status = Status::off;
    ClamdReply reply;
    std::string error;
    Millis took{0};
};

struct SpamResult {
    Status status = Status::off;
    RspamdReply reply;
    std::string error;
    Millis took{0};
};

struct Decision {
    bool accept = true;
    smtp::Reply refusal;                 // when !accept
    std::string headers;                 // to add, each ending in CRLF
    std::optional<std::string> subject;  // the new Subject: text
    std::string outcome;                 // for the log: clean virus spam tag greylist error ...
};

Decision decide(const VirusResult& virus, const SpamResult& spam, config::ScanOnError on_error);

// How to change the start of the message: its first `old_length` octets
// become `head` (headers added, perhaps the Subject field replaced).
struct HeadEdit {
    std::size_t old_length = 0;
    std::string head;
};
// `window`: the message's first octets (all of it when `whole`). A Subject
// field found complete in the window's header section is replaced; one
// that may lie beyond the window is left alone (no second Subject).
HeadEdit plan_head_edit(std::string_view window, bool whole, const Decision& d);

}  // namespace holdfast::scan
