#include "delivery/next_hop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "dns/error.hpp"
#include "mail/address.hpp"
#include "util/strings.hpp"

namespace holdfast::delivery {

Self self_from(const config::Config& c) {
    return self_from(c, util::interface_addresses);
}

Self self_from(const config::Config& c,
               const std::function<std::vector<util::IpAddress>()>& interfaces) {
    Self s{c.server.hostname, c.server.addresses};
    bool wildcard = false;
    for (const auto& l : c.listen) {
        auto ip = util::parse_ip(l.host);
        if (!ip) continue;
        if (util::is_unspecified(*ip)) {
            wildcard = true;  // 0.0.0.0 is nobody's address; every local one is ours
        } else {
            s.addresses.push_back(*ip);
        }
    }
    // As Postfix's inet_interfaces = all: a listener on 0.0.0.0 or :: answers
    // on every address of every interface, so an MX host that resolves to
    // any of them is us.
    if (wildcard) {
        for (const auto& a : interfaces()) s.addresses.push_back(a);
    }
    std::sort(s.addresses.begin(), s.addresses.end());
    s.addresses.erase(std::unique(s.addresses.begin(), s.addresses.end()), s.addresses.end());
    return s;
}

namespace {

NextHops fail(HopVerdict v, std::string dsn, std::string reason) {
    return NextHops{v, {}, std::move(dsn), std::move(reason)};
}

}  // namespace

std::string_view verdict_name(HopVerdict v) {
    switch (v) {
        case HopVerdict::ok:
            return "ok";
        case HopVerdict::temporary:
            return "temporary";
        case HopVerdict::permanent:
            return "permanent";
        case HopVerdict::we_are_best:
            return "we-are-best-mx";
    }
    return "temporary";
}

bool Self::is(const Hop& hop) const {
    if (!hostname.empty() && mail::normalize_domain(hop.host) == mail::normalize_domain(hostname))
        return true;
    return std::any_of(hop.addresses.begin(), hop.addresses.end(), [&](const auto& a) {
        return std::find(addresses.begin(), addresses.end(), a) != addresses.end();
    });
}

MxPlan plan_mx(std::string_view domain, const dns::Result& mx, std::uint32_t seed) {
    MxPlan plan;
    plan.failure.verdict = HopVerdict::ok;
    if (mx.error == dns::Errc::nxdomain) {
        plan.failure = fail(HopVerdict::permanent, "5.1.2",
                            fmt::format("domain {} does not exist (DNS NXDOMAIN)", domain));
        return plan;
    }
    if (mx.error == dns::Errc::no_data) {
        // RFC 5321 5.1: no MX at all means the domain's own address records.
        plan.implicit = true;
        plan.hosts.push_back(Hop{mail::normalize_domain(domain), 25, 0, {}});
        return plan;
    }
    if (mx.error) {
        plan.failure = fail(HopVerdict::temporary, "4.4.3",
                            fmt::format("MX lookup for {} failed: {}", domain, mx.error.message()));
        return plan;
    }
    std::vector<dns::Mx> records;
    for (const auto& r : mx.answer.mx) {
        // RFC 7505: a null MX among real ones is an operator mistake; the
        // real ones still say where mail goes.
        if (!r.host.empty()) records.push_back(r);
    }
    if (records.empty()) {
        plan.failure = fail(HopVerdict::permanent, "5.1.10",
                            fmt::format("domain {} accepts no mail (null MX, RFC 7505)", domain));
        return plan;
    }
    std::mt19937 rng(seed);
    std::shuffle(records.begin(), records.end(), rng);
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    for (const auto& r : records) plan.hosts.push_back(Hop{r.host, 25, r.preference, {}});
    return plan;
}

NextHops cut(std::string_view domain, std::vector<Hop> hosts, const Self& self) {
    auto me = std::find_if(hosts.begin(), hosts.end(), [&](const Hop& h) { return self.is(h); });
    if (me != hosts.end()) {
        std::uint16_t ours = me->preference;
        std::erase_if(hosts, [&](const Hop& h) { return h.preference >= ours; });
        if (hosts.empty()) {
            return fail(HopVerdict::we_are_best, "4.4.6",
                        fmt::format("we are the best MX for {} (preference {}): holding the mail; "
                                    "the domain's MX records must list its primary first",
                                    domain, ours));
        }
    }
    if (hosts.empty()) {
        return fail(HopVerdict::permanent, "5.1.2", fmt::format("no mail host for {}", domain));
    }
    std::erase_if(hosts, [](const Hop& h) { return h.addresses.empty(); });
    if (hosts.empty()) {
        return fail(HopVerdict::temporary, "4.4.3",
                    fmt::format("no address found for any mail host of {}", domain));
    }
    return NextHops{HopVerdict::ok, std::move(hosts), "", ""};
}

std::optional<Hop> parse_primary(std::string_view primary) {
    auto hp = util::parse_host_port(primary, 25);
    if (!hp) return std::nullopt;
    Hop hop{util::ascii_lower(hp->host), hp->port, 0, {}};
    if (auto ip = util::parse_ip(hp->host)) hop.addresses.push_back(*ip);
    return hop;
}

}  // namespace holdfast::delivery
