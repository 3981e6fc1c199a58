#include "metrics/events.hpp"

namespace holdfast::metrics {

Events& events() {
    static Events e;
    return e;
}

void count_delivery(std::string_view status) {
    Events& e = events();
    if (status == "sent" || status == "delivered") {
        e.messages_delivered.inc();
    } else if (status == "deferred") {
        e.messages_deferred.inc();
    } else if (status == "bounced" || status == "failed") {
        e.messages_bounced.inc();
    }
}

void describe_events(Registry& r, const Events& e) {
    r.counter("holdfast_smtp_connections_total", "SMTP connections accepted by a listener.",
              e.smtp_connections);
    r.counter("holdfast_smtp_connections_refused_total",
              "SMTP connections turned away at connect (connection limits, shutting down).",
              e.smtp_connections_refused);
    r.counter("holdfast_messages_received_total",
              "Messages accepted with 250 after DATA (stored and fsync'd in the spool).",
              e.messages_received);
    r.counter("holdfast_messages_rejected_total",
              "Messages refused at the end of DATA (too big, too many hops, bad lines).",
              e.messages_rejected);
    r.counter("holdfast_relay_denied_total", "Recipients refused with 550 5.7.1 relaying denied.",
              e.relay_denied);
    r.counter("holdfast_dnsbl_hits_total",
              "SMTP clients found listed by a DNSBL zone (once per connection).", e.dnsbl_hits);
    r.counter("holdfast_messages_delivered_total",
              "Recipients delivered (remote SMTP or local Maildir/LMTP).", e.messages_delivered);
    r.counter("holdfast_messages_deferred_total",
              "Delivery attempts that failed temporarily, per recipient.", e.messages_deferred);
    r.counter("holdfast_messages_bounced_total",
              "Recipients that failed for good (permanent error, expired, returned by the "
              "postmaster); the sender gets a report unless it was <>.",
              e.messages_bounced);
    r.counter("holdfast_relay_tests_total", "Open-relay tests finished, by verdict.",
              e.relay_tests);
    r.counter("holdfast_scan_messages_total",
              "Messages scanned by clamd / rspamd at DATA, by the decision.", e.scan_messages);
    r.counter("holdfast_scan_skipped_total",
              "Messages passed unscanned because they were larger than [scan] max_size.",
              e.scan_skipped);
    r.counter("holdfast_scan_errors_total",
              "Scans where a scanner was down, too slow or answered nonsense ([scan] on_error).",
              e.scan_errors);
    r.histogram("holdfast_scan_seconds", "Time a client waited at DATA for both scanners.",
                e.scan_seconds);
    r.histogram("holdfast_spool_fsync_seconds",
                "Time of one fdatasync of the spool's log in a group commit.",
                e.spool_fsync_seconds);
}

}  // namespace holdfast::metrics
