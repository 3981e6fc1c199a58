#pragma once
// `holdfast sendmail` / `sendmail` command-line flags, Postfix-compatible
// (postfix/src/sendmail/sendmail.c): the flags a Postfix sendmail accepts
// are accepted here too, most of them ignored as Postfix ignores them. Pure:
// no I/O, unit-tested and fuzzed.
#include <string>
#include <vector>

namespace holdfast::sendmail {

enum class Mode {
    deliver,     // -bm (default): a message on stdin
    smtp,        // -bs: an SMTP session on stdin/stdout
    print_queue  // -bp: list the queue (mailq)
};

struct Options {
    Mode mode = Mode::deliver;
    bool extract = false;     // -t: recipients from To/Cc/Bcc
    bool dot_ends = true;     // without -i / -oi: a line "." ends the message
    bool sender_set = false;  // -f / -r given
    std::string sender;       // -f ADDR ("" or "<>": the null sender)
    std::string full_name;    // -F NAME
    std::string config;       // -c FILE (ours, not Postfix's -C)
    std::vector<std::string> recipients;
    std::vector<std::string> ignored;  // flags accepted and ignored (for a debug log)
};

struct ParseResult {
    Options options;
    std::string error;  // "" = fine; else a usage error (exit 64)
};

// argv without the program name.
ParseResult parse_options(const std::vector<std::string>& args);

}  // namespace holdfast::sendmail
