// Any bytes from a server into the reply parser, fed in two pieces at a
// fuzzer-chosen split: no crash, no overread, the same replies whatever the
// split, and every reply it accepts survives a round trip through wire().
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/protocol/reply_parser.hpp"

using holdfast::smtp::ReplyError;
using holdfast::smtp::ReplyParser;

namespace {

struct Outcome {
    std::vector<std::string> replies;  // wire() of each reply
    ReplyError error = ReplyError::none;
};

Outcome drain(ReplyParser& p, Outcome out) {
    for (;;) {
        auto r = p.next();
        if (r.error != ReplyError::none) {
            out.error = r.error;
            return out;
        }
        if (!r.reply) return out;
        if (r.reply->code < 200 || r.reply->code > 559) __builtin_trap();
        if (r.raw.empty()) __builtin_trap();
        out.replies.push_back(r.reply->wire());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
    std::size_t split = all.empty() ? 0 : data[0] % (all.size() + 1);
    holdfast::smtp::ReplyLimits limits{.max_line = 512, .max_lines = 20};

    ReplyParser whole(limits);
    whole.feed(all);
    Outcome a = drain(whole, {});

    ReplyParser pieces(limits);
    pieces.feed(all.substr(0, split));
    Outcome b = drain(pieces, {});
    pieces.feed(all.substr(split));
    b = drain(pieces, b);

    // A line-length error may be seen early in pieces that the whole input
    // reports differently only if they disagree on complete replies: compare
    // replies always, errors only when both saw one.
    if (a.replies != b.replies) __builtin_trap();
    if ((a.error == ReplyError::none) != (b.error == ReplyError::none)) __builtin_trap();

    // What we accepted, written back out, parses to the same thing.
    for (const std::string& w : a.replies) {
        auto again = holdfast::smtp::parse_reply(w);
        if (!again || again->wire() != w) __builtin_trap();
    }
    return 0;
}
