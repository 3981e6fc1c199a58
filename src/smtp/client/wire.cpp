#include "smtp/client/wire.hpp"

#include <fmt/format.h>

#include "smtp/protocol/dsn_params.hpp"

namespace holdfast::smtp::client {

bool has_eight_bit(std::string_view data) {
    for (unsigned char c : data) {
        if (c > 127) return true;
    }
    return false;
}

std::string mail_command(const Message& m, const Capabilities& caps, std::size_t size) {
    std::string line = fmt::format("MAIL FROM:<{}>", m.sender);
    if (caps.size) line += fmt::format(" SIZE={}", size);
    if (caps.eight_bit_mime && has_eight_bit(m.data)) line += " BODY=8BITMIME";
    if (caps.smtputf8 && m.smtputf8) line += " SMTPUTF8";
    if (caps.dsn) {
        if (m.ret == mail::DsnReturn::full) line += " RET=FULL";
        if (m.ret == mail::DsnReturn::headers) line += " RET=HDRS";
        if (!m.envid.empty()) line += " ENVID=" + xtext_encode(m.envid);
    }
    return line;
}

std::string rcpt_command(const Message& m, std::size_t index, const Capabilities& caps) {
    std::string line = rcpt_command(m.recipients.at(index));
    if (!caps.dsn || index >= m.recipient_dsn.size()) return line;
    const auto& d = m.recipient_dsn[index];
    if (d.notify.specified) line += " NOTIFY=" + notify_parameter(d.notify);
    // ORCPT's xtext may not hold raw UTF-8 (RFC 3461 4.2); it is encoded.
    if (!d.orcpt.empty()) line += " ORCPT=" + orcpt_parameter(d.orcpt);
    return line;
}

std::string rcpt_command(std::string_view recipient) {
    return fmt::format("RCPT TO:<{}>", recipient);
}

std::string dot_stuff(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 64 + 8);
    bool line_start = true;
    std::size_t line_length = 0;  // octets on the current output line
    for (std::size_t i = 0; i < data.size(); ++i) {
        char c = data[i];
        if (c == '\r' || c == '\n') {
            out += "\r\n";
            if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
            line_start = true;
            line_length = 0;
            continue;
        }
        if (c == '\0') continue;  // never passed on: next hops read NUL differently
        if (line_length == kMaxLineOctets) {
            // As Postfix's smtp_line_length_limit: a continuation that
            // keeps a header a (folded) header and does the least harm to
            // MIME bodies.
            out += "\r\n ";
            line_length = 1;
            line_start = false;
        }
        if (line_start && c == '.') {
            out += '.';
            ++line_length;
        }
        out += c;
        ++line_length;
        line_start = false;
    }
    if (!line_start) out += "\r\n";
    out += ".\r\n";
    return out;
}

}  // namespace holdfast::smtp::client
