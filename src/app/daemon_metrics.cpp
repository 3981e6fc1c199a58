#include "app/daemon_metrics.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "mail/address.hpp"
#include "metrics/events.hpp"
#include "queue/domain_stats.hpp"

namespace holdfast::app {
namespace {

using metrics::Family;
using metrics::Type;

metrics::Labels domain_label(const std::string& d) {
    return {{"domain", d}};
}

// Every queue gauge from one pass over the spool, at scrape time.
std::vector<Family> queue_families(const MetricsSources& s) {
    auto now = std::chrono::system_clock::now();
    auto stats = queue::stats_by_domain(s.spool);
    Family messages{"holdfast_queue_messages",
                    "Messages waiting for a backup domain (a message counts once per domain).",
                    Type::gauge,
                    {}};
    Family bytes{"holdfast_queue_bytes",
                 "Octets of the messages waiting for a backup domain.",
                 Type::gauge,
                 {}};
    Family oldest{"holdfast_queue_oldest_seconds",
                  "Age of the oldest message waiting for a backup domain; 0 when none waits.",
                  Type::gauge,
                  {}};
    Family up{"holdfast_primary_up",
              "0 while the remote courier holds the backup domain's primary as down "
              "(unreachable, being probed), else 1.",
              Type::gauge,
              {}};
    for (const auto& d : s.backup_domains()) {
        auto it = stats.find(d);
        queue::DomainStats q = it == stats.end() ? queue::DomainStats{} : it->second;
        double age = 0;
        if (q.messages) {
            age = std::max(0.0, std::floor(std::chrono::duration<double>(now - q.oldest).count()));
        }
        messages.samples.push_back({"", domain_label(d), static_cast<double>(q.messages)});
        bytes.samples.push_back({"", domain_label(d), static_cast<double>(q.bytes)});
        oldest.samples.push_back({"", domain_label(d), age});
        up.samples.push_back({"", domain_label(d), s.down_reason(d).empty() ? 1.0 : 0.0});
    }
    Family total{"holdfast_spool_messages",
                 "Messages in the spool (every destination).",
                 Type::gauge,
                 {{"", {}, static_cast<double>(s.spool.size())}}};
    return {std::move(total), std::move(messages), std::move(bytes), std::move(oldest),
            std::move(up)};
}

}  // namespace

void BackupDomains::set_configured(const std::vector<config::BackupDomain>& configured) {
    std::vector<std::string> domains;
    for (const auto& b : configured) domains.push_back(mail::normalize_domain(b.domain));
    std::lock_guard lock(mu_);
    configured_ = std::move(domains);
}

std::vector<std::string> BackupDomains::now() const {
    std::set<std::string> all;
    {
        std::lock_guard lock(mu_);
        all.insert(configured_.begin(), configured_.end());
    }
    for (const auto& [d, _] : *customers_.snapshot()) all.insert(d);
    return {all.begin(), all.end()};
}

void describe_daemon(metrics::Registry& r, MetricsSources sources) {
    metrics::describe_events(r);
    r.families([s = std::move(sources)] { return queue_families(s); });
}

}  // namespace holdfast::app
