#pragma once
// The daemon's /metrics: every event counter (metrics/events.hpp) plus the
// gauges only the queue and the couriers know, read when scraped:
//   holdfast_queue_messages{domain}, holdfast_queue_bytes{domain},
//   holdfast_queue_oldest_seconds{domain}, holdfast_primary_up{domain}
//   (one series per backup domain, [[backup]] and the watch's customers),
//   holdfast_spool_messages (everything queued).
// docs/metrics.md describes each.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "metrics/registry.hpp"
#include "policy/customer_domains.hpp"
#include "queue/spool.hpp"

namespace holdfast::app {

// The backup domains now, sorted: the [[backup]] domains of the config in
// force (set again on a reload) and the watch's customers' domains.
// Thread-safe.
class BackupDomains {
  public:
    BackupDomains(const std::vector<config::BackupDomain>& configured,
                  const policy::CustomerDomains& customers)
        : customers_(customers) {
        set_configured(configured);
    }
    void set_configured(const std::vector<config::BackupDomain>& configured);
    std::vector<std::string> now() const;

  private:
    const policy::CustomerDomains& customers_;
    mutable std::mutex mu_;
    std::vector<std::string> configured_;  // under mu_
};

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
