#pragma once
// Splits received bytes into SMTP lines, without I/O.
//
// RFC 5321 2.3.8: lines end with CRLF, and only CRLF. This is where SMTP
// smuggling is stopped: in data mode a bare LF or bare CR never ends a line
// (so "\n.\n" or "\r.\r" can never end the data); it is flagged so that the
// message is refused. In command mode a bare LF does end the line (so the
// client gets an answer instead of a hang) but is flagged as an error.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::smtp {

class LineFramer {
  public:
    enum class Mode { command, data };

    struct Line {
        std::string_view text;  // without the line ending; valid until the next call
        bool too_long = false;  // longer than the limit: text is empty, the rest was discarded
        bool bare_lf_ending = false;  // command mode: ended by LF without CR
        bool bare_cr_or_lf = false;   // a CR or LF that is not part of CRLF inside the line
        bool nul = false;             // a NUL octet inside the line
    };

    // max_line counts the CRLF: 1000 allows 998 octets of text (RFC 5321 4.5.3.1.6).
    explicit LineFramer(std::size_t max_line);

    void set_mode(Mode m) { mode_ = m; }
    Mode mode() const { return mode_; }

    // Appends received bytes. Memory stays bounded by about max_line plus
    // one read, however long a line the peer sends.
    void feed(std::string_view bytes);

    // The next complete line, or nullopt when more bytes are needed.
    std::optional<Line> next();

    // Bytes received but not yet returned as lines.
    std::size_t buffered() const { return buf_.size() - pos_; }
    // Drops everything buffered (STARTTLS: nothing sent in clear text before
    // the handshake may be read as if it came over TLS).
    void discard_buffered();

  private:
    std::size_t find_end(std::size_t from, bool& bare_lf) const;

    std::size_t max_line_;
    Mode mode_ = Mode::command;
    std::string buf_;
    std::size_t pos_ = 0;       // start of the first unread line in buf_
    bool overflowing_ = false;  // discarding the rest of an over-long line
};

}  // namespace holdfast::smtp
