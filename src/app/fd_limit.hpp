#pragma once
// File descriptors: every SMTP connection holds one, and so do the spool,
// DNS, deliveries, the control socket and the log. Holdfast raises its soft
// RLIMIT_NOFILE to the hard limit at start and keeps `connections` below
// what is left after a reserve for everything else, so that the listener
// can always accept a client (and answer 421 when full) instead of leaving
// it without a banner.
#include <sys/resource.h>

#include <cstdint>

namespace holdfast::app {

// Descriptors kept for everything but client connections: a fixed part
// (spool, log, DNS, control socket, listeners, remote and local deliveries)
// plus a tenth of the limit.
std::uint64_t fd_reserve(std::uint64_t limit);

// How many connections fit in `limit` descriptors (0 when even the reserve
// does not); `wanted` when it fits.
unsigned connections_within(unsigned wanted, std::uint64_t limit);

// Raises the soft RLIMIT_NOFILE to the hard limit (logged) and returns the
// soft limit now in force.
std::uint64_t raise_nofile_limit();

}  // namespace holdfast::app
