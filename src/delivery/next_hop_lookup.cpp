#include "delivery/next_hop_lookup.hpp"

#include <fmt/format.h>

#include "dns/awaitable.hpp"

namespace holdfast::delivery {

namespace {

// A then AAAA (IPv4 first: the test networks and most MX hosts have it).
// A host that resolves to nothing keeps no address; cut() drops it.
// Returns false when a lookup failed in a way that may change on retry.
boost::asio::awaitable<bool> fill_addresses(dns::Resolver& resolver, Hop* hop) {
    bool definite = true;
    for (auto type : {dns::RrType::a, dns::RrType::aaaa}) {
        dns::Result r = co_await dns::query(resolver, hop->host, type);
        if (!r.error) {
            for (const auto& a : r.answer.addresses) hop->addresses.push_back(a);
        } else if (r.error != dns::Errc::no_data && r.error != dns::Errc::nxdomain) {
            definite = false;
        }
    }
    co_return definite;
}

}  // namespace

boost::asio::awaitable<NextHops> find_next_hops(dns::Resolver& resolver, std::string domain,
                                                Self self, std::string primary,
                                                std::uint32_t seed) {
    if (!primary.empty()) {
        auto hop = parse_primary(primary);
        if (!hop) {
            co_return NextHops{HopVerdict::temporary,
                               {},
                               "4.3.5",
                               fmt::format("bad primary \"{}\" for {}", primary, domain)};
        }
        if (hop->addresses.empty()) co_await fill_addresses(resolver, &*hop);
        if (hop->addresses.empty()) {
            co_return NextHops{HopVerdict::temporary,
                               {},
                               "4.4.3",
                               fmt::format("no address for primary {} of {}", hop->host, domain)};
        }
        co_return NextHops{HopVerdict::ok, {*hop}, "", ""};
    }
    dns::Result mx = co_await dns::query(resolver, domain, dns::RrType::mx);
    MxPlan plan = plan_mx(domain, mx, seed);
    if (!plan.failure.ok()) co_return plan.failure;
    bool definite = true;
    for (auto& hop : plan.hosts) definite = co_await fill_addresses(resolver, &hop) && definite;
    if (plan.implicit && plan.hosts[0].addresses.empty()) {
        if (definite) {
            co_return NextHops{HopVerdict::permanent,
                               {},
                               "5.1.2",
                               fmt::format("{} has neither MX nor address records", domain)};
        }
        co_return NextHops{HopVerdict::temporary,
                           {},
                           "4.4.3",
                           fmt::format("address lookup for {} failed", domain)};
    }
    co_return cut(domain, std::move(plan.hosts), self);
}

}  // namespace holdfast::delivery
