#pragma once
// Holdfast's event counters: one process-wide set, so that the places where
// events happen (the SMTP session, the couriers, the spool) count them with
// a one-liner and no plumbing:
//   metrics::events().messages_received.inc();
// This is the one piece of global mutable state, as in every Prometheus
// client: plain atomics, written without locks, read at scrape time. Names,
// help texts and the gauges live in the registry the daemon builds
// (describe_events(), app.cpp); docs/metrics.md lists them all.
#include <string_view>

#include "metrics/instruments.hpp"
#include "metrics/registry.hpp"

namespace holdfast::metrics {

struct Events {
    Counter smtp_connections;          // TCP connections accepted by a listener
    Counter smtp_connections_refused;  // turned away at connect (limits, stopping)
    Counter messages_received;         // 250 after DATA: stored in the spool
    Counter messages_rejected;         // a whole message refused at DATA (size, hops, ...)
    Counter relay_denied;              // RCPT answered 550 5.7.1 relaying denied
    Counter dnsbl_hits;                // connections from a client a DNSBL lists
    Counter messages_delivered;        // per recipient: delivered (remote or local)
    Counter messages_deferred;         // per recipient: attempt failed temporarily
    Counter messages_bounced;          // per recipient: failed for good, sender told
    LabelledCounter<3> relay_tests{"verdict", {"open", "closed", "inconclusive"}};
    // Content scanning at DATA (src/scan/): messages scanned by decision,
    // those passed unscanned for their size, scanner trouble (down, slow,
    // nonsense), and the time the client waited for both scanners.
    LabelledCounter<2> scan_messages{"decision", {"accepted", "refused"}};
    Counter scan_skipped;
    Counter scan_errors;
    Histogram scan_seconds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    // The spool's group-commit fdatasync: what every acknowledged message waits for.
    Histogram spool_fsync_seconds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                  0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
};

Events& events();

// One recipient's outcome, as the couriers log it: "sent" / "delivered",
// "deferred", "bounced" / "failed" (other words are not counted).
void count_delivery(std::string_view status);

// Registers every counter of `e` under its holdfast_* name.
void describe_events(Registry& r, const Events& e = events());

}  // namespace holdfast::metrics
