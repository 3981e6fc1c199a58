#pragma once
// One watch cycle's work, phase by phase; Watcher::cycle (watcher.cpp)
// drives the phases in order. What they share: the customers as the cycle
// began, which customer owns which domain, and the counts. Each phase has
// its file: cycle_notify.cpp (notices through our own spool), cycle_mx.cpp
// (MX polls and the misconfigurations they show), cycle_relay.cpp (relay
// tests, violations and their resolutions), cycle_blacklist.cpp (blacklist
// checks). Internal to src/watch: it brings in Asio.
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "watch/notice.hpp"
#include "watch/scheduler.hpp"
#include "watch/watcher.hpp"

namespace holdfast::watch {

// What one cycle did (the run-once answer and the status's last_cycle).
struct CycleCounts {
    std::size_t polled = 0, changed = 0, tested = 0, open = 0, violations = 0, resolved = 0,
                checked = 0, listed = 0, delisted = 0, notices = 0, errors = 0;
    nlohmann::json to_json() const;
};

struct CycleRun {
    Watcher& w;
    std::map<std::string, store::Customer> customers;  // by name
    std::map<std::string, std::string> domain_owner;   // domain -> customer name
    CycleCounts out;

    // Queues a notice through our spool to the customer's addresses (to
    // postmaster when `customer` is ""; to abuse too when to_abuse) and
    // records it in the store. Its queue id; "" when there is nobody to tell.
    std::string notify(const std::string& kind, const std::string& customer,
                       const std::string& about, const NoticeText& text, bool to_abuse);
    // The domain's MX set: recorded, compared with the last one (a change
    // re-tests its hosts), and checked for misconfigurations.
    boost::asio::awaitable<void> poll_mx(std::string domain);
    // One relay test; an open verdict makes a violation with its charge, a
    // closed one resolves the target's open violation.
    boost::asio::awaitable<void> test_relay(TestJob job);
    // Violations of hosts no longer among a customer's MX hosts are
    // resolved once the hosts listed now all test closed.
    void resolve_departed();
    // One target against the configured zones; listings and delistings are
    // noticed.
    boost::asio::awaitable<void> check_blacklists(CheckJob job);
};

}  // namespace holdfast::watch
