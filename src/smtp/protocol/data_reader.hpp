#pragma once
// Collects the lines of a DATA transfer into the message, without I/O:
// removes dot-stuffing (RFC 5321 4.5.2), recognises the end of data (a line
// that is exactly "." — which the framer only returns after CRLF), and keeps
// reading to the end when the message is refused so that the session stays
// in sync with the client.
#include <cstddef>
#include <string>

#include "smtp/protocol/line_framer.hpp"

namespace holdfast::smtp {

class DataReader {
  public:
    enum class Problem { none, too_big, bad_line_ending, line_too_long };

    // `message` may already hold our Received: header; max_size bounds what
    // the client sends (headers we add are not counted).
    DataReader(std::string message, std::size_t max_size);

    // Adds one line from a framer in data mode. Returns true at end of data.
    bool add(const LineFramer::Line& line);

    // The first problem seen; the message must then be refused.
    Problem problem() const { return problem_; }
    std::size_t received() const { return received_; }
    std::string take() { return std::move(message_); }

  private:
    std::string message_;
    std::size_t max_size_;
    std::size_t received_ = 0;
    Problem problem_ = Problem::none;
};

}  // namespace holdfast::smtp
