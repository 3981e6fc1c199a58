#include "queue/domain_stats.hpp"

#include <set>

#include "queue/spool.hpp"

namespace holdfast::queue {

namespace {

void count(std::map<std::string, DomainStats>& out, const std::set<std::string_view>& domains,
           std::uint64_t size, std::chrono::system_clock::time_point arrival) {
    for (const auto& d : domains) {
        if (d.empty()) continue;  // an address without a domain goes nowhere to count
        DomainStats& s = out[std::string(d)];
        ++s.messages;
        s.bytes += size;
        if (s.oldest == std::chrono::system_clock::time_point{} || arrival < s.oldest)
            s.oldest = arrival;
    }
}

}  // namespace

std::map<std::string, DomainStats> stats_by_domain(const std::vector<Envelope>& messages) {
    std::map<std::string, DomainStats> out;
    for (const auto& env : messages) {
        std::vector<std::string> names;
        for (const auto& r : env.recipients) {
            if (r.state == RecipientState::pending) names.push_back(destination_domain(r.address));
        }
        count(out, {names.begin(), names.end()}, env.size, env.arrival);
    }
    return out;
}

std::map<std::string, DomainStats> stats_by_domain(const Spool& spool) {
    std::map<std::string, DomainStats> out;
    spool.for_each([&out](const QueuedMessage& m) {
        std::set<std::string_view> domains;
        for (const auto& p : m.pending) domains.insert(p.domain);
        count(out, domains, m.size, m.arrival);
    });
    return out;
}

}  // namespace holdfast::queue
