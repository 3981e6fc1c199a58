#include "dnsbl/checker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dns/message.hpp"
#include "dnsbl/lookup.hpp"

namespace holdfast::dnsbl {

std::string Verdict::reply_text(const util::IpAddress& client) const {
    std::string s = "Service unavailable; client " + client.literal() + " blocked using ";
    if (listings.empty()) return s + "DNSBL";
    s += listings.front().zone;
    if (!listings.front().txt.empty()) s += "; " + listings.front().txt;
    // A reply line must stay printable and within the 512-octet limit.
    std::replace_if(
        s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }, ' ');
    if (s.size() > 400) s.resize(400);
    return s;
}

Checker::Checker(dns::Resolver& resolver, config::Dnsbl cfg,
                 std::vector<util::IpNetwork> relay_networks)
    : resolver_(resolver), cfg_(std::move(cfg)), exempt_(std::move(relay_networks)) {
    exempt_.insert(exempt_.end(), cfg_.allow.begin(), cfg_.allow.end());
    // Zones come back from the lookup in canonical form; weights must match.
    std::map<std::string, double> weights;
    for (const auto& [zone, w] : cfg_.weights) weights[dns::canonical_name(zone)] = w;
    cfg_.weights = std::move(weights);
}

boost::asio::awaitable<Verdict> Checker::check(util::IpAddress client) const {
    Verdict v;
    bool exempt = std::any_of(exempt_.begin(), exempt_.end(),
                              [&](const auto& n) { return n.contains(client); });
    Target target{client.is_v4() ? Target::Kind::ipv4 : Target::Kind::ipv6, client, {}};
    std::vector<std::string> zones;
    for (const auto& z : cfg_.zones) {
        if (serves(find_zone(z), target.kind)) zones.push_back(z);
    }
    if (exempt || zones.empty()) co_return v;
    v.checked = true;
    LookupOptions o;
    o.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.deadline);
    o.query_timeout = o.deadline;
    Report report = co_await lookup(resolver_, target, zones, o);
    for (const ZoneResult& z : report.zones) {
        if (z.status == Status::listed && !z.allow_list) {
            Listing l{z.zone, {}, z.txt, 1};
            for (const auto& c : z.codes) l.codes.push_back(c.address);
            if (auto w = cfg_.weights.find(z.zone); w != cfg_.weights.end()) l.weight = w->second;
            v.score += l.weight;
            spdlog::info("dnsbl client={} zone={} codes={} weight={} txt=\"{}\"", client.str(),
                         z.zone, fmt::join(l.codes, ","), l.weight, z.txt);
            v.listings.push_back(std::move(l));
        } else if (z.status != Status::listed && z.status != Status::clean) {
            spdlog::warn("dnsbl client={} zone={} status={} detail=\"{}\" (ignored: fail open)",
                         client.str(), z.zone, status_name(z.status), z.detail);
            v.failed.push_back(z.zone);
        }
    }
    v.blocked = !v.listings.empty() && v.score >= cfg_.threshold;
    v.reject = v.blocked && cfg_.action == config::DnsblAction::reject;
    co_return v;
}

}  // namespace holdfast::dnsbl
