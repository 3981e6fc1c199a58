#include "app/daemon_metrics.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

#include "metrics/events.hpp"
#include "queue/domain_stats.hpp"

namespace holdfast::app {
namespace {

using Clock = std::chrono::system_clock;

// The queue is listed once per scrape, not once per gauge family: the
// families of one scrape ask within the same second.
class QueueView {
  public:
    explicit QueueView(MetricsSources s) : s_(std::move(s)) {}

    struct Row {
        std::string domain;
        queue::DomainStats stats;
    };
    std::vector<Row> rows() {
        std::lock_guard lock(mu_);
        auto now = std::chrono::steady_clock::now();
        if (!listed_ || now - listed_at_ > std::chrono::seconds(1)) {
            stats_ = queue::stats_by_domain(s_.spool.list());
            listed_at_ = now;
            listed_ = true;
        }
        std::vector<Row> out;
        for (const auto& d : s_.backup_domains()) {
            auto it = stats_.find(d);
            out.push_back({d, it == stats_.end() ? queue::DomainStats{} : it->second});
        }
        return out;
    }
    std::string down_reason(const std::string& d) const { return s_.down_reason(d); }
    std::vector<std::string> domains() const { return s_.backup_domains(); }
    std::size_t total() const { return s_.spool.size(); }

  private:
    MetricsSources s_;
    std::mutex mu_;
    bool listed_ = false;
    std::chrono::steady_clock::time_point listed_at_{};
    std::map<std::string, queue::DomainStats> stats_;
};

metrics::Labels domain_label(const std::string& d) {
    return {{"domain", d}};
}

}  // namespace

void describe_daemon(metrics::Registry& r, MetricsSources sources) {
    metrics::describe_events(r);
    auto view = std::make_shared<QueueView>(std::move(sources));
    r.gauge("holdfast_spool_messages", "Messages in the spool (every destination).", [view] {
        return std::vector<metrics::Sample>{{"", {}, double(view->total())}};
    });
    r.gauge("holdfast_queue_messages",
            "Messages waiting for a backup domain (a message counts once per domain).", [view] {
                std::vector<metrics::Sample> out;
                for (const auto& row : view->rows())
                    out.push_back({"", domain_label(row.domain), double(row.stats.messages)});
                return out;
            });
    r.gauge("holdfast_queue_bytes", "Octets of the messages waiting for a backup domain.", [view] {
        std::vector<metrics::Sample> out;
        for (const auto& row : view->rows())
            out.push_back({"", domain_label(row.domain), double(row.stats.bytes)});
        return out;
    });
    r.gauge("holdfast_queue_oldest_seconds",
            "Age of the oldest message waiting for a backup domain; 0 when none waits.", [view] {
                std::vector<metrics::Sample> out;
                auto now = Clock::now();
                for (const auto& row : view->rows()) {
                    double age = 0;
                    if (row.stats.messages) {
                        age = std::chrono::duration<double>(now - row.stats.oldest).count();
                        if (age < 0) age = 0;
                    }
                    out.push_back({"", domain_label(row.domain), std::floor(age)});
                }
                return out;
            });
    r.gauge("holdfast_primary_up",
            "1 unless the remote courier holds the backup domain's primary as down "
            "(unreachable, being probed); 0 while it does.",
            [view] {
                std::vector<metrics::Sample> out;
                for (const auto& d : view->domains())
                    out.push_back({"", domain_label(d), view->down_reason(d).empty() ? 1.0 : 0.0});
                return out;
            });
}

}  // namespace holdfast::app
