#pragma once
// How much waits for each destination domain: what `/metrics` shows per
// backup domain and what the watch samples into the store for the queue
// pictures. A pure function over envelopes, and the same over a spool's
// queue without copying it.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "queue/envelope.hpp"

namespace holdfast::queue {

class Spool;

struct DomainStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::chrono::system_clock::time_point oldest{};  // arrival of the oldest; {} when none
};

// By lower-case domain of the recipients still pending (a message counts
// once per domain it waits for). Held messages count: they are still here.
std::map<std::string, DomainStats> stats_by_domain(const std::vector<Envelope>& messages);
// The same for every message queued in `spool`, read in place
// (Spool::for_each): Spool::list() would copy a million envelopes, doubling
// the daemon's memory for a moment at each sample and scrape.
std::map<std::string, DomainStats> stats_by_domain(const Spool& spool);

}  // namespace holdfast::queue
