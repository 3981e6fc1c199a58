#pragma once
// One target against many zones at once: every zone's queries run in
// parallel, each bounded by a per-query timeout, all by one deadline. Used
// by `holdfast rbl`, the checker in the SMTP server and (later) the web UI.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "dns/resolver.hpp"
#include "dnsbl/classify.hpp"
#include "dnsbl/target.hpp"

namespace holdfast::dnsbl {

struct LookupOptions {
    std::chrono::milliseconds query_timeout{3000};  // one DNS question
    std::chrono::milliseconds deadline{10000};      // everything
    // Ask each zone for its RFC 5782 test entries too: 127.0.0.2 (etc.) must
    // be listed. A zone that fails is reported broken and its answer ignored.
    bool health = false;
    // Always ask for 127.0.0.1 (etc.) alongside: a zone that lists it lists
    // everything (ORDB 2008, AHBL 2015) and must not block anyone. One more
    // parallel query per zone, cached.
    bool loopback_check = true;
};

struct ZoneResult {
    std::string zone;
    Status status = Status::timeout;
    std::vector<Code> codes;
    std::string txt;          // the list's reason, when listed and it gave one
    std::string detail;       // why it is an error / timeout / broken
    bool allow_list = false;  // a listing on an allow-list is good news
};

struct Report {
    std::string query;              // the target as shown
    std::vector<ZoneResult> zones;  // in the order the zones were given
    bool listed() const;    // on at least one block list (allow-lists and broken zones aside)
    bool complete() const;  // no timeout or error
};

// Never throws for DNS trouble; zones without an answer by the deadline are
// reported as timeouts. `resolver` must outlive the returned awaitable's
// completion (abandoned queries finish on the resolver's thread).
boost::asio::awaitable<Report> lookup(dns::Resolver& resolver, Target target,
                                      std::vector<std::string> zones, LookupOptions options);

}  // namespace holdfast::dnsbl
