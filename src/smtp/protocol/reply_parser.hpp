#pragma once
// Incremental SMTP reply parser (RFC 5321 4.2, enhanced codes RFC 2034 /
// RFC 3463). Sans-I/O: feed it whatever bytes the socket gave, take complete
// replies out. Used by the relay tester and, later, the outbound client.
//
// Lenient where real servers are sloppy (a bare LF ends a line, "250" alone
// is a reply), strict where sloppiness would mean misreading the server: a
// bad code, a continuation that changes code, a NUL, or an over-long line is
// an error, and the parser stays failed (the stream cannot be resynchronised).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp {

enum class ReplyError {
    none,
    bad_code,        // not three digits [2-5][0-5][0-9] followed by ' ', '-' or end of line
    mixed_codes,     // a multi-line reply whose lines carry different codes
    line_too_long,   // a line longer than ReplyLimits::max_line octets
    too_many_lines,  // a multi-line reply of more than ReplyLimits::max_lines lines
    nul_byte,        // a NUL octet inside a line
};

// What the error means, for transcripts and error messages.
std::string_view describe(ReplyError e);

struct ReplyLimits {
    // RFC 5321 4.5.3.1.5 allows 512 octets; servers exceed it, so be generous
    // but bounded: a hostile server must not make us buffer without end.
    std::size_t max_line = 4096;
    std::size_t max_lines = 200;
};

class ReplyParser {
  public:
    explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}

    // Appends bytes read from the peer. Cheap; parsing happens in next().
    void feed(std::string_view bytes);

    struct Result {
        std::optional<Reply> reply;  // a complete reply, when one was available
        std::string raw;             // its lines as received (for transcripts)
        ReplyError error = ReplyError::none;
    };
    // The next complete reply, or neither reply nor error when more bytes are
    // needed. After an error every call returns that error again.
    Result next();

    // Bytes received but not yet part of a complete reply (a truncated reply
    // when the peer has closed the connection).
    bool has_partial() const { return pos_ < buffer_.size(); }
    ReplyError error() const { return error_; }

  private:
    Result fail(ReplyError e);

    ReplyLimits limits_;
    std::string buffer_;
    std::size_t pos_ = 0;  // start of the first unconsumed line in buffer_
    ReplyError error_ = ReplyError::none;
};

// Parses exactly one complete reply from text (tests, config, fixed strings).
// nullopt if text is not exactly one well-formed reply.
std::optional<Reply> parse_reply(std::string_view text);

// Splits "2.1.5 rest" into the enhanced code and the rest when the line starts
// with a valid enhanced status code of the given class (2, 4 or 5).
// Returns the code's length (0 if none).
std::size_t enhanced_code_length(std::string_view text, int reply_class);

}  // namespace holdfast::smtp
