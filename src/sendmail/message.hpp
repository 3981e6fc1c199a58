#pragma once
// What a local submission's message goes through before the queue, as
// Postfix's cleanup does for sendmail: line ends made CRLF, recipients taken
// from To/Cc/Bcc with -t (RFC 5322 3.4 address lists: display names,
// comments, quoted strings, groups, folded lines), Bcc removed, and a From:
// (with -F's full name), Date: and Message-ID: added when missing. Pure: the
// daemon calls it with the invoking user's name and its own host name.
// Fuzzed (tests/fuzz/sendmail_headers.cpp).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::sendmail {

// The mailboxes of an address-list header value ("A <a@x>, b@y, group: c@z;").
// An unqualified name ("root") gets "@" + domain. Unparsable pieces are
// skipped, never guessed at.
std::vector<std::string> parse_address_list(std::string_view value, std::string_view domain);

struct Header {
    std::string name;   // as written, without the colon
    std::string value;  // unfolded: continuation lines joined, CRLFs removed
};

// The header section's fields (up to the first empty line, or a line that
// is neither a field nor a continuation: the body starts there).
std::vector<Header> parse_header_section(std::string_view message);

struct PrepareInput {
    std::string sender;     // the envelope sender (after the -f / default decision)
    std::string full_name;  // -F
    bool extract = false;   // -t
    std::string domain;     // for unqualified addresses and the Message-ID
    std::string queue_id;   // for the Message-ID
    std::chrono::system_clock::time_point now{};
};

struct Prepared {
    std::string message;                  // CRLF line ends, ready for the spool
    std::vector<std::string> recipients;  // extracted by -t (To, Cc, Bcc), in order, no duplicates
};

Prepared prepare(std::string_view input, const PrepareInput& in);

// "Mon, 30 Nov 2026 14:00:00 +0000" (RFC 5322 3.3), in UTC.
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace holdfast::sendmail
