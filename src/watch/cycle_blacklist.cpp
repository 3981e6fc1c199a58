#include <spdlog/spdlog.h>

#include <algorithm>

#include "dnsbl/lookup.hpp"
#include "watch/cycle_run.hpp"

namespace holdfast::watch {

using json = nlohmann::json;

boost::asio::awaitable<void> CycleRun::check_blacklists(CheckJob job) {
    std::string host = job.target.substr(0, job.target.rfind(':'));
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    auto target = dnsbl::parse_target(host);
    if (!target) co_return;
    dnsbl::LookupOptions o;
    dnsbl::Report r = co_await dnsbl::lookup(w.resolver_, *target, w.settings_.zones, o);
    auto now = w.settings_.clock();
    std::vector<std::string> before;
    {
        std::lock_guard lock(w.mu_);
        if (auto st = w.scheduler_.state(job.target)) before = st->listed_zones;
    }
    std::vector<std::string> after;
    json zones = json::array();
    for (const auto& z : r.zones) {
        bool was = std::find(before.begin(), before.end(), z.zone) != before.end();
        std::vector<std::string> codes;
        for (const auto& c : z.codes) codes.push_back(c.address);
        zones.push_back({{"zone", z.zone},
                         {"status", dnsbl::status_name(z.status)},
                         {"codes", codes},
                         {"txt", z.txt}});
        bool listed = z.status == dnsbl::Status::listed && !z.allow_list;
        bool known = z.status == dnsbl::Status::listed || z.status == dnsbl::Status::clean;
        // A list that answers with an error is not a listing, nor a delisting.
        if (listed || (!known && was)) after.push_back(z.zone);
        if (listed && !was) {
            ++out.listed;
            spdlog::warn("watch target={} customer={} zone={} status=listed codes={}", host,
                         job.customer, z.zone, codes.empty() ? "" : codes.front());
            notify("listed", job.customer, host + " " + z.zone,
                   listed_notice(job.customer, host, z.zone, codes, z.txt), true);
        } else if (was && known && !listed) {
            ++out.delisted;
            spdlog::info("watch target={} customer={} zone={} status=delisted", host, job.customer,
                         z.zone);
            notify("delisted", job.customer, host + " " + z.zone,
                   delisted_notice(job.customer, host, z.zone), true);
        }
    }
    w.store_.add_blacklist_check({0, job.customer, host, now, r.listed(), zones.dump()});
    ++out.checked;
    std::lock_guard lock(w.mu_);
    w.scheduler_.checked(job.target, after, now);
    if (auto st = w.scheduler_.state(job.target)) w.store_.save_target(*st);
}

}  // namespace holdfast::watch
