#pragma once
// Hop counting (RFC 5321 6.3): every MTA a message passes adds a Received:
// header field, so a message that carries too many of them is going round
// in a loop. Pure: the message bytes as they are spooled (CRLF lines).
#include <cstddef>
#include <string_view>

namespace holdfast::mail {

// Received: header fields in the header section of `message` (up to the
// first empty line; continuation lines are part of the field before them).
std::size_t count_received(std::string_view message);

}  // namespace holdfast::mail
