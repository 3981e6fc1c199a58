#pragma once
// Value types of the outbound SMTP client: what to send, how long each stage
// may take, and what came back per recipient. No Asio here: the courier and
// the DSN generator read these without paying for socket headers.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/dsn_params.hpp"
#include "util/net.hpp"

namespace holdfast::smtp::client {

using Millis = std::chrono::milliseconds;

// RFC 5321 4.5.3.2: the minimum time a client should wait at each stage.
// Tests shorten them; the defaults are the RFC's.
struct Timeouts {
    Millis connect{std::chrono::seconds(30)};    // not in the RFC; a dead host costs this much
    Millis banner{std::chrono::minutes(5)};      // 4.5.3.2.1 initial 220
    Millis command{std::chrono::minutes(5)};     // EHLO, STARTTLS, RSET, QUIT
    Millis mail{std::chrono::minutes(5)};        // 4.5.3.2.2
    Millis rcpt{std::chrono::minutes(5)};        // 4.5.3.2.3
    Millis data_init{std::chrono::minutes(2)};   // 4.5.3.2.4 the 354
    Millis data_block{std::chrono::minutes(3)};  // 4.5.3.2.5 each write of the body
    Millis data_end{std::chrono::minutes(10)};   // 4.5.3.2.6 the reply to "."
    Millis tls_handshake{std::chrono::minutes(1)};
};

struct Options {
    std::string helo;      // our host name, sent in EHLO / HELO
    bool starttls = true;  // opportunistic: used when offered, never required
    Timeouts timeouts;
    // LMTP (RFC 2033) instead of SMTP: LHLO (no HELO fallback, no loop
    // check on the peer's name: a local Dovecot may share our host name),
    // and after the final dot one reply per recipient accepted at RCPT.
    bool lmtp = false;
    // Connect to this unix-domain stream socket instead of the Endpoint (LMTP
    // to a local store). Here and not in Endpoint: Endpoint stays trivially
    // destructible, since callers pass it as a braced temporary to a
    // coroutine, which GCC 12 destroys twice when it owns memory.
    std::string unix_socket{};
};

// What the peer announced in its EHLO reply.
struct Capabilities {
    bool esmtp = false;  // EHLO was accepted (else HELO)
    bool pipelining = false;
    bool starttls = false;
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool enhanced_status_codes = false;
    bool size = false;
    bool dsn = false;              // RFC 3461
    std::uint64_t size_limit = 0;  // 0 = no fixed limit announced
};

// One message of a transaction. `data` is the message as stored (header and
// body, CRLF or LF line ends, not dot-stuffed); the client stuffs it.
struct Message {
    std::string sender;                   // "" = the null sender <>
    std::vector<std::string> recipients;  // mailbox text without brackets
    std::string_view data;
    bool smtputf8 = false;  // the envelope needs SMTPUTF8 (RFC 6531)
    // RFC 3461, passed on only to a peer that announces DSN (4): RET and
    // ENVID on MAIL, and per recipient (same order as `recipients`, or
    // empty) NOTIFY and ORCPT on RCPT.
    mail::DsnReturn ret{mail::DsnReturn::unspecified};
    std::string envid{};
    struct RecipientDsn {
        mail::DsnNotify notify{};
        std::string orcpt{};  // decoded, "rfc822;alice@example.test"
    };
    std::vector<RecipientDsn> recipient_dsn{};
};

enum class Outcome { delivered, deferred, failed };
std::string_view outcome_name(Outcome o);  // "delivered", "deferred", "failed"

// How a stage ended: a reply (code > 0) or our own words about the
// connection (code 0: timeout, refused connection, lost connection).
struct Status {
    Outcome outcome = Outcome::deferred;
    int code = 0;
    std::string enhanced;  // "5.1.1" from the reply, or one we chose ("4.4.1")
    std::string text;      // "550 5.1.1 no such user" or "connect to ...: timed out"
};

struct RecipientResult {
    std::string address;
    Status status;
};

// Where to connect: an address the next-hop resolution found, and its port.
struct Endpoint {
    util::IpAddress address;
    std::uint16_t port = 25;
};

// The whole transaction. Recipients keep the order of Message::recipients.
struct Result {
    std::vector<RecipientResult> recipients;
    std::string error;      // what went wrong with the session itself, "" if nothing
    bool reusable = false;  // the connection may carry another message
};

}  // namespace holdfast::smtp::client
