#pragma once
// The DNS side of next-hop resolution: the MX lookup, then A and AAAA for
// each host, then next_hop.hpp's rules. A configured primary skips the MX
// lookup (and the self cut: the operator named it).
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>

#include "delivery/next_hop.hpp"
#include "dns/resolver.hpp"

namespace holdfast::delivery {

// `primary` is the backup domain's `primary = "host:port"`, "" for DNS.
// `seed` chooses among MX hosts of equal preference (pass a random number).
boost::asio::awaitable<NextHops> find_next_hops(dns::Resolver& resolver, std::string domain,
                                                Self self, std::string primary, std::uint32_t seed);

}  // namespace holdfast::delivery
