#pragma once
// Delivery status notifications (RFC 3464 inside an RFC 6522
// multipart/report): the bounce when delivery failed and the single delay
// notice. Pure text generation; the courier queues the result from the
// null sender like any other message.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::dsn {

using TimePoint = std::chrono::system_clock::time_point;

enum class Action { failed, delayed };
std::string_view action_name(Action a);  // "failed", "delayed" (RFC 3464 2.3.3)

struct RecipientStatus {
    std::string final_recipient;     // "alice@customer.test"
    std::string original_recipient;  // ORCPT's address when the client gave one, else ""
    std::string original_recipient_type = "rfc822";  // ORCPT's addr-type (RFC 3461 4.2)
    Action action = Action::failed;
    std::string status;      // "5.1.1" (RFC 3463)
    std::string remote_mta;  // "mx.customer.test" (or an IP) when a host answered, else ""
    // "550 5.1.1 no such user" from the remote host (smtp_reply), or our
    // own words ("connect to ...: timed out").
    std::string diagnostic;
    bool smtp_reply = false;
    TimePoint last_attempt{};
    std::optional<TimePoint> will_retry_until;  // delay notices only
};

struct Report {
    std::string reporting_mta;  // our host name
    std::string queue_id;
    std::string envelope_id;      // ENVID (RFC 3461) when the client gave one
    std::string original_sender;  // who gets the notice; never "" (see may_notify)
    TimePoint arrival{};
    std::vector<RecipientStatus> recipients;
    // The original message; its header section is returned, or all of it
    // when return_full (RET=FULL).
    std::string_view original;
    bool return_full = false;
    TimePoint now{};
    std::string boundary;  // "" = chosen here (tests pass one)
    // An internationalized notice (RFC 6533): message/global-delivery-status
    // with utf-8 address types, message/global-headers or message/global for
    // the original, UTF-8 text. The notice must then go out with SMTPUTF8
    // (RFC 6531); a next hop without it refuses it (5.6.7), never a
    // downgrade. Set it with needs_utf8().
    bool utf8 = false;
};

// Whether a notice about an SMTPUTF8 message needs the RFC 6533 formats:
// some address or the returned part of the original is not ASCII.
bool needs_utf8(const Report& report);

// "Never bounce a bounce": a message from the null sender gets no
// notification of any kind (RFC 5321 6.1, RFC 3464 intro).
bool may_notify(std::string_view original_sender);

// The complete notice, headers and body, CRLF line ends, ready for the
// spool with sender "" and recipient report.original_sender.
std::string build(const Report& report);

// The header section of a message: everything before the first empty line
// (the whole message when there is none), with its line ends kept.
std::string_view header_section(std::string_view message);

// "Thu, 26 Nov 2026 04:46:16 +0000" (RFC 5322 3.3, always UTC).
std::string rfc5322_date(TimePoint t);

}  // namespace holdfast::dsn
