#pragma once
// How much waits for each destination domain: what `/metrics` shows per
// backup domain and what the watch samples into the store for the queue
// pictures. A pure function over envelopes (Spool::list()).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "queue/envelope.hpp"

namespace holdfast::queue {

struct DomainStats {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::chrono::system_clock::time_point oldest{};  // arrival of the oldest; {} when none
};

// By lower-case domain of the recipients still pending (a message counts
// once per domain it waits for). Held messages count: they are still here.
std::map<std::string, DomainStats> stats_by_domain(const std::vector<Envelope>& messages);

}  // namespace holdfast::queue
