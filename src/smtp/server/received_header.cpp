#include "smtp/server/received_header.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "util/strings.hpp"

namespace holdfast::smtp {

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
    return fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000",
                       std::chrono::floor<std::chrono::seconds>(t));
}

std::string received_header(const TraceInfo& t) {
    std::string with = t.smtputf8 ? "UTF8SMTP" : (t.esmtp ? "ESMTP" : "SMTP");
    if (t.esmtp || t.smtputf8) {
        if (t.tls) with += "S";
        if (t.authenticated) with += "A";
    }
    // The HELO name is the client's claim: keep it printable so it cannot
    // inject header lines. In SMTPUTF8 mail the header may carry UTF-8
    // (RFC 6532), so well-formed UTF-8 stays as it is there.
    auto shown = [&](std::string_view s, std::size_t max) {
        return t.smtputf8 ? util::printable_utf8(s, max) : util::printable(s, max);
    };
    // RFC 5321 4.1.3: an IPv6 address literal is tagged "IPv6:".
    std::string ip =
        t.client_ip.find(':') != std::string::npos ? "IPv6:" + t.client_ip : t.client_ip;
    std::string out = fmt::format("Received: from {} ([{}])\r\n\tby {} (Holdfast) with {} id {}",
                                  shown(t.helo, 100), ip, t.hostname, with, t.queue_id);
    if (!t.single_recipient.empty()) {
        out += fmt::format("\r\n\tfor <{}>", shown(t.single_recipient, 300));
    }
    out += "; " + rfc5322_date(t.when) + "\r\n";
    return out;
}

}  // namespace holdfast::smtp
