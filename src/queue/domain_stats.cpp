#include "queue/domain_stats.hpp"

#include <set>

#include "mail/address.hpp"
#include "queue/spool.hpp"

namespace holdfast::queue {

namespace {

void add(std::map<std::string, DomainStats>& out, const Envelope& env) {
    std::set<std::string> domains;
    for (const auto& r : env.recipients) {
        if (r.state != RecipientState::pending) continue;
        auto a = mail::parse_mailbox(r.address, true);
        if (a) domains.insert(mail::normalize_domain(a->domain));
    }
    for (const auto& d : domains) {
        DomainStats& s = out[d];
        ++s.messages;
        s.bytes += env.size;
        if (s.oldest == std::chrono::system_clock::time_point{} || env.arrival < s.oldest)
            s.oldest = env.arrival;
    }
}

}  // namespace

std::map<std::string, DomainStats> stats_by_domain(const std::vector<Envelope>& messages) {
    std::map<std::string, DomainStats> out;
    for (const auto& env : messages) add(out, env);
    return out;
}

std::map<std::string, DomainStats> stats_by_domain(const Spool& spool) {
    std::map<std::string, DomainStats> out;
    spool.for_each([&out](const Envelope& env) { add(out, env); });
    return out;
}

}  // namespace holdfast::queue
