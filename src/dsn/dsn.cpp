#include "dsn/dsn.hpp"

#include <fmt/format.h>

#include <ctime>
#include <random>

namespace holdfast::dsn {

namespace {

constexpr std::size_t kMaxField = 900;  // below RFC 5322's 998 octets with the field name

// Text from a remote server or from us on one header line: no CR/LF, no
// controls, bounded.
std::string field(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, kMaxField)) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 32 || u == 127) ? ' ' : c;
    }
    return out;
}

// Every line end CRLF, so that the returned headers cannot break the MIME
// structure or the DATA framing.
std::string crlf(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 16);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' || s[i] == '\n') {
            out += "\r\n";
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out += s[i];
        }
    }
    if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
    return out;
}

bool any(const Report& r, Action a) {
    for (const auto& rc : r.recipients) {
        if (rc.action == a) return true;
    }
    return false;
}

std::string human_part(const Report& r) {
    std::string t = fmt::format("This is the mail system at {}.\r\n\r\n", r.reporting_mta);
    if (any(r, Action::failed)) {
        t += "Your message could not be delivered to the recipients below. The mail system\r\n"
             "gave up; the message will not be tried again.\r\n\r\n";
        for (const auto& rc : r.recipients) {
            if (rc.action != Action::failed) continue;
            t += fmt::format("<{}>: {}\r\n", field(rc.final_recipient), field(rc.diagnostic));
        }
        t += "\r\n";
    }
    if (any(r, Action::delayed)) {
        t += "Your message has not been delivered yet to the recipients below. This is only\r\n"
             "a warning: the mail system keeps trying, and you do not need to send the\r\n"
             "message again.\r\n\r\n";
        for (const auto& rc : r.recipients) {
            if (rc.action != Action::delayed) continue;
            t += fmt::format("<{}>: {}\r\n", field(rc.final_recipient), field(rc.diagnostic));
            if (rc.will_retry_until) {
                t += fmt::format("    will keep trying until {}\r\n",
                                 rfc5322_date(*rc.will_retry_until));
            }
        }
        t += "\r\n";
    }
    t += "The message's headers (or the whole message) are attached below.\r\n";
    return t;
}

bool is_rfc822(std::string_view type) {
    if (type.size() != 6) return false;
    for (std::size_t i = 0; i < 6; ++i) {
        char c = type[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != "rfc822"[i]) return false;
    }
    return true;
}

bool has_8bit(std::string_view s) {
    for (unsigned char c : s) {
        if (c > 127) return true;
    }
    return false;
}

// An address-type and address for Final- / Original-Recipient: in a global
// report a non-ASCII address is of type utf-8 (RFC 6533 3).
std::string typed_address(const Report& r, std::string_view type, std::string_view address) {
    if (r.utf8 && has_8bit(address) && is_rfc822(type)) {
        return fmt::format("utf-8; {}", field(address));
    }
    return fmt::format("{}; {}", field(type), field(address));
}

std::string status_part(const Report& r) {
    std::string t = fmt::format("Reporting-MTA: dns; {}\r\n", field(r.reporting_mta));
    if (!r.queue_id.empty()) t += fmt::format("X-Holdfast-Queue-ID: {}\r\n", field(r.queue_id));
    if (!r.envelope_id.empty())
        t += fmt::format("Original-Envelope-Id: {}\r\n", field(r.envelope_id));
    t += fmt::format("Arrival-Date: {}\r\n", rfc5322_date(r.arrival));
    for (const auto& rc : r.recipients) {
        t += "\r\n";  // one block per recipient (RFC 3464 2.1)
        t += fmt::format("Final-Recipient: {}\r\n", typed_address(r, "rfc822", rc.final_recipient));
        if (!rc.original_recipient.empty())
            t += fmt::format("Original-Recipient: {}\r\n",
                             typed_address(r, rc.original_recipient_type, rc.original_recipient));
        t += fmt::format("Action: {}\r\n", action_name(rc.action));
        t += fmt::format("Status: {}\r\n", field(rc.status));
        if (!rc.remote_mta.empty())
            t += fmt::format("Remote-MTA: dns; {}\r\n", field(rc.remote_mta));
        if (!rc.diagnostic.empty()) {
            t += fmt::format("Diagnostic-Code: {}; {}\r\n", rc.smtp_reply ? "smtp" : "X-Holdfast",
                             field(rc.diagnostic));
        }
        t += fmt::format("Last-Attempt-Date: {}\r\n", rfc5322_date(rc.last_attempt));
        if (rc.action == Action::delayed && rc.will_retry_until) {
            t += fmt::format("Will-Retry-Until: {}\r\n", rfc5322_date(*rc.will_retry_until));
        }
    }
    return t;
}

std::string random_hex() {
    std::random_device rd;
    return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

std::string_view action_name(Action a) {
    return a == Action::failed ? "failed" : "delayed";
}

bool needs_utf8(const Report& r) {
    if (has_8bit(r.original_sender)) return true;
    for (const auto& rc : r.recipients) {
        if (has_8bit(rc.final_recipient) || has_8bit(rc.original_recipient)) return true;
    }
    return has_8bit(r.return_full ? r.original : header_section(r.original));
}

bool may_notify(std::string_view original_sender) {
    return !original_sender.empty();
}

std::string_view header_section(std::string_view m) {
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] != '\n') continue;
        if (i + 1 < m.size() && m[i + 1] == '\n') return m.substr(0, i + 1);
        if (i + 2 < m.size() && m[i + 1] == '\r' && m[i + 2] == '\n') return m.substr(0, i + 1);
    }
    return m;
}

std::string rfc5322_date(TimePoint t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string build(const Report& r) {
    std::string boundary =
        r.boundary.empty() ? fmt::format("=_holdfast_{}_{}", r.queue_id, random_hex()) : r.boundary;
    bool failed = any(r, Action::failed);
    std::string subject =
        failed ? "Undelivered Mail Returned to Sender" : "Delayed Mail (still being retried)";
    std::string m;
    m += fmt::format("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", field(r.reporting_mta));
    m += fmt::format("To: <{}>\r\n", field(r.original_sender));
    m += fmt::format("Subject: {}\r\n", subject);
    m += fmt::format("Date: {}\r\n", rfc5322_date(r.now));
    m += fmt::format("Message-ID: <{}.{}@{}>\r\n", field(r.queue_id), random_hex(),
                     field(r.reporting_mta));
    m += "Auto-Submitted: auto-replied\r\n";  // RFC 3834: no automatic reply to this
    m += "MIME-Version: 1.0\r\n";
    m += fmt::format(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n",
        boundary);
    m += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";
    m += fmt::format("--{}\r\n", boundary);
    m += "Content-Description: Notification\r\n";
    // RFC 6533: the global types carry UTF-8 as 8bit.
    const char* eight_bit = r.utf8 ? "Content-Transfer-Encoding: 8bit\r\n" : "";
    m += fmt::format("Content-Type: text/plain; charset={}\r\n{}\r\n",
                     r.utf8 ? "utf-8" : "us-ascii", eight_bit);
    m += human_part(r);
    m += fmt::format("\r\n--{}\r\n", boundary);
    m += "Content-Description: Delivery report\r\n";
    m += fmt::format("Content-Type: message/{}delivery-status\r\n{}\r\n", r.utf8 ? "global-" : "",
                     eight_bit);
    m += status_part(r);
    m += fmt::format("\r\n--{}\r\n", boundary);
    if (r.return_full) {
        m += "Content-Description: Undelivered Message\r\n";
        m += fmt::format("Content-Type: message/{}\r\n", r.utf8 ? "global" : "rfc822");
        if (r.utf8 || has_8bit(r.original)) m += "Content-Transfer-Encoding: 8bit\r\n";
        m += "\r\n";
        m += crlf(r.original);
    } else {
        m += "Content-Description: Undelivered Message Headers\r\n";
        m += fmt::format("Content-Type: {}\r\n{}\r\n",
                         r.utf8 ? "message/global-headers" : "text/rfc822-headers", eight_bit);
        m += crlf(header_section(r.original));
    }
    m += fmt::format("\r\n--{}--\r\n", boundary);
    return m;
}

}  // namespace holdfast::dsn
