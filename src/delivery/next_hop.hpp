#pragma once
// Where a domain's mail goes next (RFC 5321 section 5), decided without I/O
// from DNS answers, so that every rule is unit-tested:
//
// * MX records by preference, random order among equal preferences;
// * no MX records: the domain itself is the one host (implicit MX);
// * a null MX (RFC 7505: one record, preference 0, host ".") and a domain
//   that does not exist are permanent failures; other DNS errors temporary;
// * our own entry (by host name or by address) and every entry of equal or
//   higher preference number are dropped (RFC 5321 5.1: no mail loops); a
//   backup MX thus only ever hands mail to better MX hosts. If we are the
//   best MX, there is nowhere to send it: `we_are_best`, which the courier
//   must hold and log loudly, never bounce (the customer's DNS is wrong).
//
// The lookups themselves are in next_hop_lookup.hpp.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/types.hpp"
#include "util/net.hpp"

namespace holdfast::delivery {

struct Hop {
    std::string host;  // lower case; an IP address text for a configured literal primary
    std::uint16_t port = 25;
    std::uint16_t preference = 0;
    std::vector<util::IpAddress> addresses;  // to connect to, in order
};

enum class HopVerdict {
    ok,          // hops holds at least one host with an address
    temporary,   // try again later (DNS trouble, no MX host with an address yet)
    permanent,   // bounce: no such domain, null MX, no host at all
    we_are_best  // we are the best MX left: hold, never bounce, never deliver to ourselves
};
std::string_view verdict_name(HopVerdict v);

struct NextHops {
    HopVerdict verdict = HopVerdict::temporary;
    std::vector<Hop> hops;
    std::string dsn;     // enhanced status for a failure: "5.1.2", "5.1.10", "4.4.3"
    std::string reason;  // plain words for logs and bounces
    bool ok() const { return verdict == HopVerdict::ok; }
};

// Who "we" are: the configured host name and every address we answer on.
struct Self {
    std::string hostname;
    std::vector<util::IpAddress> addresses;
    bool is(const Hop& hop) const;
};

// Who we are, from the config: server.hostname, server.addresses and the
// listeners' addresses; a wildcard listener (0.0.0.0, ::) adds every
// address of the host's interfaces, read once here (the courier and the
// recipient verifier must agree).
Self self_from(const config::Config& c);
// The same with the interface addresses from `interfaces` (tests).
Self self_from(const config::Config& c,
               const std::function<std::vector<util::IpAddress>()>& interfaces);

// Step 1: what the MX answer says. Either a failure (verdict != ok), or
// the hosts to look up, ordered: by preference, shuffled (by `seed`) among
// equal ones; `implicit` when the domain itself stands in for the MX.
struct MxPlan {
    NextHops failure;  // verdict ok: no failure
    std::vector<Hop> hosts;
    bool implicit = false;
};
MxPlan plan_mx(std::string_view domain, const dns::Result& mx, std::uint32_t seed);

// Step 2: with each host's addresses filled in (a host whose lookup failed
// keeps none), drops us and everything not better than us, then every host
// without an address.
NextHops cut(std::string_view domain, std::vector<Hop> hosts, const Self& self);

// A `[[backup]] primary = "host:port"` in place of DNS: nullopt if malformed.
std::optional<Hop> parse_primary(std::string_view primary);

}  // namespace holdfast::delivery
