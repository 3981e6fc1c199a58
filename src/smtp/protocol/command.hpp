#pragma once
// SMTP command lines -> Command values, without I/O. Every syntax error
// comes back as the Reply to send (RFC 5321 4.2, RFC 3463 codes), so the
// session never has to guess a code.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mail/address.hpp"
#include "mail/dsn_params.hpp"
#include "smtp/protocol/reply.hpp"

namespace holdfast::smtp {

enum class Verb {
    helo,
    ehlo,
    mail,
    rcpt,
    data,
    rset,
    noop,
    quit,
    vrfy,
    expn,
    help,
    starttls,
    auth,
    etrn  // RFC 1985
};

enum class Body { seven_bit, eight_bit_mime };

struct MailParams {
    std::optional<std::size_t> size;                     // SIZE= (RFC 1870)
    Body body = Body::seven_bit;                         // BODY= (RFC 6152)
    bool smtputf8 = false;                               // SMTPUTF8 (RFC 6531)
    mail::DsnReturn ret = mail::DsnReturn::unspecified;  // RET= (RFC 3461)
    std::string envid;                                   // ENVID=, decoded; "" if absent

    bool uses_esmtp() const {
        return size || body != Body::seven_bit || smtputf8 || ret != mail::DsnReturn::unspecified ||
               !envid.empty();
    }
};

struct RcptParams {
    mail::DsnNotify notify;  // NOTIFY= (RFC 3461)
    std::string orcpt;       // ORCPT=, decoded: "rfc822;alice@example.test"; "" if absent

    bool uses_esmtp() const { return notify.specified || !orcpt.empty(); }
};

struct Command {
    Verb verb = Verb::noop;
    std::string argument;   // HELO/EHLO domain, AUTH text, VRFY/HELP/ETRN argument (trimmed)
    mail::Address address;  // MAIL and RCPT
    bool address_has_utf8 = false;
    MailParams mail;
    RcptParams rcpt;
};

struct CommandParse {
    std::optional<Command> command;
    Reply error;  // when command is empty
};

// Parses one command line (without its CRLF). Addresses are parsed with
// UTF-8 allowed; the session refuses UTF-8 addresses without SMTPUTF8.
CommandParse parse_command(std::string_view line);

std::string_view verb_name(Verb v);

}  // namespace holdfast::smtp
