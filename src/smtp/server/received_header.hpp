#pragma once
// Our trace header (RFC 5321 4.4, protocol names from RFC 3848).
#include <chrono>
#include <string>

namespace holdfast::smtp {

struct TraceInfo {
    std::string helo;       // as the client gave it
    std::string client_ip;  // "192.0.2.1"
    std::string hostname;   // ours
    std::string queue_id;
    bool esmtp = false, tls = false, authenticated = false, smtputf8 = false;
    std::string single_recipient;  // "for <...>" only when there is exactly one
    std::chrono::system_clock::time_point when;
};

// "Received: from helo ([ip])\r\n\tby host (Holdfast) with ESMTPSA id ID\r\n\tfor <r>; date\r\n"
std::string received_header(const TraceInfo& t);

// RFC 5322 date-time in UTC: "Thu, 26 Nov 2026 03:30:31 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

}  // namespace holdfast::smtp
