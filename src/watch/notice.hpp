#pragma once
// The watch's notices as text (no I/O): what was found, which vectors, the
// transcript, how to close the relay, the charge; resolutions, listings and
// delistings. And the RFC 5322 message that carries one, queued by the
// watcher through our own spool like any other mail.
#include <chrono>
#include <string>
#include <vector>

#include "relaytest/report.hpp"
#include "store/store.hpp"

namespace holdfast::watch {

struct NoticeText {
    std::string subject;
    std::string body;
};

NoticeText violation_notice(const store::Customer& c, const store::Violation& v,
                            const relaytest::Report& report, std::size_t number);
NoticeText resolved_notice(const store::Customer& c, const store::Violation& v,
                           const std::string& how);
NoticeText listed_notice(const std::string& customer, const std::string& target,
                         const std::string& zone, const std::vector<std::string>& codes,
                         const std::string& txt);
NoticeText delisted_notice(const std::string& customer, const std::string& target,
                           const std::string& zone);

// A complete message: From, To, Subject, Date, Message-ID, MIME headers,
// CRLF line ends, lines kept under 998 octets.
std::string compose(const std::string& from, const std::vector<std::string>& to,
                    const NoticeText& n, const std::string& hostname, const std::string& id,
                    std::chrono::system_clock::time_point now);

}  // namespace holdfast::watch
