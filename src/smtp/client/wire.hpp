#pragma once
// The bytes the client writes, built without I/O: MAIL / RCPT lines with
// their ESMTP parameters, and the DATA payload (dot-stuffed, CRLF only,
// ending in "\r\n.\r\n" so that body and terminator leave in one write).
#include <cstddef>
#include <string>
#include <string_view>

#include "smtp/client/types.hpp"

namespace holdfast::smtp::client {

// True when the data has an octet above 127 (needs BODY=8BITMIME).
bool has_eight_bit(std::string_view data);

// "MAIL FROM:<s> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8] [RET=..] [ENVID=..]"
// without CRLF; only parameters the peer announced are used.
std::string mail_command(const Message& m, const Capabilities& caps, std::size_t size);
// "RCPT TO:<r> [NOTIFY=..] [ORCPT=..]" for m.recipients[index].
std::string rcpt_command(const Message& m, std::size_t index, const Capabilities& caps);
std::string rcpt_command(std::string_view recipient);

// Octets on a line sent, without its CRLF (RFC 5321 4.5.3.1.6).
inline constexpr std::size_t kMaxLineOctets = 998;

// The DATA payload: every line end made CRLF (a bare CR or LF must never
// reach the wire: SMTP smuggling), NUL octets dropped, a line longer than
// kMaxLineOctets broken with CRLF SPACE (as Postfix does), a leading "."
// doubled (RFC 5321 4.5.2), a final CRLF added if missing, then ".\r\n".
// What the server accepted has none of these; a message from elsewhere
// (a local submission, a notice quoting a header) might.
std::string dot_stuff(std::string_view data);

}  // namespace holdfast::smtp::client
