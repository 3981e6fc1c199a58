#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "dns/awaitable.hpp"
#include "util/net.hpp"
#include "watch/cycle_run.hpp"

namespace holdfast::watch {

boost::asio::awaitable<void> CycleRun::poll_mx(std::string domain) {
    auto now = w.settings_.clock();
    dns::Result mx = co_await dns::query(w.resolver_, domain, dns::RrType::mx);
    std::vector<std::string> problems;
    std::vector<dns::Mx> records;
    if (mx.error == dns::Errc::no_data) {
        records.push_back({0, domain});  // implicit MX (RFC 5321 5.1)
        problems.push_back(
            "no MX records: mail goes to the domain's own address, never to "
            "the backup MX");
    } else if (mx.error) {
        ++out.errors;
        spdlog::warn("watch domain={} status=mx-lookup-failed error=\"{}\"", domain,
                     mx.error.message());
        std::lock_guard lock(w.mu_);
        w.scheduler_.poll_failed(domain, now);
        if (mx.error == dns::Errc::nxdomain) w.problems_[domain] = {"the domain does not exist"};
        co_return;
    } else {
        records = mx.answer.mx;
    }
    std::uint32_t ttl = mx.answer.ttl;
    std::vector<store::MxHost> set;
    for (const auto& r : records) {
        store::MxHost h{r.preference, r.host, {}};
        if (r.host.empty()) {
            problems.push_back("null MX (RFC 7505): the domain accepts no mail");
            set.push_back(h);
            continue;
        }
        for (auto type : {dns::RrType::a, dns::RrType::aaaa}) {
            dns::Result a = co_await dns::query(w.resolver_, r.host, type);
            for (const auto& ip : a.answer.addresses) h.addresses.push_back(ip.str());
        }
        if (h.addresses.empty()) problems.push_back("MX host " + r.host + " does not resolve");
        set.push_back(std::move(h));
    }
    auto is_self = [&](const store::MxHost& h) {
        if (!w.settings_.mx_name.empty() && h.host == w.settings_.mx_name) return true;
        return std::any_of(h.addresses.begin(), h.addresses.end(), [&](const std::string& a) {
            return std::any_of(w.settings_.self_addresses.begin(), w.settings_.self_addresses.end(),
                               [&](const util::IpAddress& s) { return s.str() == a; });
        });
    };
    // Misconfigurations: our backup MX absent or not behind the primary,
    // a primary outside the customer's networks.
    std::optional<std::uint16_t> ours, primary;
    const store::MxHost* best = nullptr;
    for (const auto& h : set) {
        if (is_self(h)) {
            if (!ours || h.preference < *ours) ours = h.preference;
        } else if (!primary || h.preference < *primary) {
            primary = h.preference;
            best = &h;
        }
    }
    if (!ours) {
        problems.push_back("our backup MX " + w.settings_.mx_name +
                           " is not among the domain's MX records");
    } else if (primary && *ours <= *primary) {
        problems.push_back("our backup MX has preference " + std::to_string(*ours) +
                           ", not worse than the primary's " + std::to_string(*primary) +
                           ": mail would come to the backup first");
    } else if (!primary) {
        problems.push_back("only our backup MX is listed: there is no primary to deliver to");
    }
    const auto& owner = domain_owner[domain];
    const auto& nets = customers[owner].networks;
    if (best && !nets.empty()) {
        for (const auto& a : best->addresses) {
            auto ip = util::parse_ip(a);
            bool inside = ip && std::any_of(nets.begin(), nets.end(), [&](const std::string& n) {
                              auto net = util::parse_network(n);
                              return net && net->contains(*ip);
                          });
            if (!inside) {
                problems.push_back("primary " + best->host + " (" + a +
                                   ") is outside the customer's networks");
            }
        }
    }
    bool changed = w.store_.record_mx(domain, set, now);
    ++out.polled;
    std::vector<std::string> targets;
    for (const auto& h : set) {
        if (is_self(h)) continue;
        for (const auto& a : h.addresses) {
            auto ip = util::parse_ip(a);
            std::string t = ip && !ip->is_v4() ? "[" + a + "]" : a;
            targets.push_back(t + ":" + std::to_string(w.settings_.test_port));
        }
    }
    std::vector<std::string> gone;
    {
        std::lock_guard lock(w.mu_);
        gone = w.scheduler_.polled(domain, targets, changed, std::chrono::seconds(ttl), now);
        auto& known = w.problems_[domain];
        if (known != problems) {
            for (const auto& p : problems) {
                spdlog::warn("watch domain={} customer={} status=misconfigured problem=\"{}\"",
                             domain, owner, p);
            }
            known = problems;
        }
        if (problems.empty()) w.problems_.erase(domain);
        if (changed) {
            for (const auto& t : targets) {
                if (auto st = w.scheduler_.state(t)) w.store_.save_target(*st);
            }
        }
    }
    for (const auto& t : gone) w.store_.remove_target(t);
    if (changed) {
        ++out.changed;
        std::string hosts;
        for (const auto& h : set) {
            hosts += (hosts.empty() ? "" : ",") + std::to_string(h.preference) + ":" + h.host;
        }
        spdlog::info("watch domain={} customer={} status=mx-changed mx={}", domain, owner, hosts);
    }
}

}  // namespace holdfast::watch
