#pragma once
// An SMTP reply as a value: what a handler returns and what a client reads.
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::smtp {

struct Reply {
    int code = 0;                    // 250, 550, ...
    std::string enhanced;            // "2.1.0" (RFC 3463); "" when none
    std::vector<std::string> lines;  // text of each line, without code/enhanced code

    Reply() = default;
    Reply(int c, std::string enh, std::string text)
        : code(c), enhanced(std::move(enh)), lines{std::move(text)} {}

    bool positive() const { return code >= 200 && code < 400; }
    bool transient() const { return code >= 400 && code < 500; }
    bool permanent() const { return code >= 500 && code < 600; }
    // Wire form: "250-first\r\n250 2.0.0 last\r\n"; enhanced code on every line.
    std::string wire() const;
    // The same, appended to `out` (a session's output buffer: no string of
    // its own for each reply).
    void append_wire(std::string& out) const;
    // One-line form for logs: "550 5.7.1 text (second line)".
    std::string summary() const;
};

}  // namespace holdfast::smtp
