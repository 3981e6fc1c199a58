#pragma once
// Collects the lines of a DATA transfer into the message, without I/O:
// removes dot-stuffing (RFC 5321 4.5.2), recognises the end of data (a line
// that is exactly "." — which the framer only returns after CRLF), and keeps
// reading to the end when the message is refused so that the session stays
// in sync with the client. The caller may drain the bytes collected so far
// at any time (take()), so that a large message is streamed to disk instead
// of held in memory; what stays buffered is only what was added since.
// While the data arrives it counts the header section's Received: fields
// (RFC 5321 6.3, mail loops) without keeping the header.
#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "smtp/protocol/line_framer.hpp"

namespace holdfast::smtp {

class DataReader {
  public:
    enum class Problem { none, too_big, bad_line_ending, line_too_long, nul, too_many_hops };

    // `message` may already hold our Received: header; max_size bounds what
    // the client sends (headers we add are not counted); max_received is how
    // many Received: fields the client's header section may carry.
    DataReader(std::string message, std::size_t max_size,
               unsigned max_received = std::numeric_limits<unsigned>::max());

    // Adds one line from a framer in data mode. Returns true at end of data.
    bool add(const LineFramer::Line& line);

    // The first problem seen; the message must then be refused.
    Problem problem() const { return problem_; }
    std::size_t received() const { return received_; }
    unsigned received_fields() const { return received_fields_; }
    // Octets collected and not yet taken.
    std::size_t buffered() const { return message_.size(); }
    std::string take() { return std::exchange(message_, std::string()); }

  private:
    void refuse(Problem p);

    std::string message_;
    std::size_t max_size_;
    unsigned max_received_;
    std::size_t received_ = 0;
    unsigned received_fields_ = 0;
    bool in_header_ = true;  // until the first empty line
    Problem problem_ = Problem::none;
};

}  // namespace holdfast::smtp
