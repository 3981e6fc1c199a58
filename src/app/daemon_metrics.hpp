#pragma once
// The daemon's /metrics: every event counter (metrics/events.hpp) plus the
// gauges only the queue and the couriers know, read when scraped:
//   holdfast_queue_messages{domain}, holdfast_queue_bytes{domain},
//   holdfast_queue_oldest_seconds{domain}, holdfast_primary_up{domain}
//   (one series per backup domain, [[backup]] and the watch's customers),
//   holdfast_spool_messages (everything queued).
// docs/metrics.md describes each.
#include <functional>
#include <string>
#include <vector>

#include "metrics/registry.hpp"
#include "queue/spool.hpp"

namespace holdfast::app {

struct MetricsSources {
    const queue::Spool& spool;
    // The backup domains now (they change with the customers).
    std::function<std::vector<std::string>()> backup_domains;
    // Why a destination is held as down, "" if it is not (RemoteCourier).
    std::function<std::string(const std::string& domain)> down_reason;
};

// Registers the event counters and the gauges; `sources` must outlive `r`.
void describe_daemon(metrics::Registry& r, MetricsSources sources);

}  // namespace holdfast::app
