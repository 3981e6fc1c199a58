#pragma once
// RFC 6376 3.4 "relaxed" canonicalisation, for header fields and (streaming)
// for the body. Pure functions over bytes: no I/O, no crypto.
#include <functional>
#include <string>
#include <string_view>

namespace holdfast::dkim {

// One header field as it appears in the message (name, colon, value, any
// folding, with or without its final CRLF) in relaxed form:
// "lower-case-name:value\r\n" with folding removed, runs of WSP turned into
// one SP, and WSP at the value's ends dropped (RFC 6376 3.4.2).
std::string relaxed_header(std::string_view field);

// The body in relaxed form (RFC 6376 3.4.4), fed in pieces of any size:
// WSP runs become one SP, WSP at line ends goes, empty lines at the end go,
// and a non-empty body ends with CRLF. The output goes to `sink` in pieces
// (buffered here, so a sink call per ~4 KiB, not per octet).
class RelaxedBody {
  public:
    using Sink = std::function<void(std::string_view)>;
    explicit RelaxedBody(Sink sink) : sink_(std::move(sink)) {}
    void feed(std::string_view bytes);
    void finish();  // once, after the last feed

  private:
    void put(char c);
    void content(char c);  // a character that is neither WSP nor a line end
    void flush();

    Sink sink_;
    std::string out_;
    std::size_t blank_lines_ = 0;  // empty lines seen, written only if content follows
    bool wsp_ = false;             // WSP seen since the last content on this line
    bool line_has_content_ = false;
    bool cr_ = false;  // a CR waiting to see whether LF follows
};

// The body in "simple" form (RFC 6376 3.4.3): as is, but empty lines at
// the end go and an empty body is one CRLF.
class SimpleBody {
  public:
    using Sink = std::function<void(std::string_view)>;
    explicit SimpleBody(Sink sink) : sink_(std::move(sink)) {}
    void feed(std::string_view bytes);
    void finish();

  private:
    Sink sink_;
    std::string line_;             // the current line, up to its CRLF
    std::size_t blank_lines_ = 0;  // empty lines seen, written only if content follows
    bool any_ = false;             // something was written
};

// The field with the value of its b= tag removed (RFC 6376 3.7: the
// signature is computed over its own field with "b=" empty).
std::string without_b_value(std::string_view field);

}  // namespace holdfast::dkim
