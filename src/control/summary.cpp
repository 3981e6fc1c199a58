#include "control/summary.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "mail/address.hpp"

namespace holdfast::control {

namespace {

constexpr std::size_t kBuckets = std::size(kAgeBuckets) + 1;

struct Row {
    std::string domain;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    std::vector<std::uint64_t> ages = std::vector<std::uint64_t>(kBuckets, 0);

    void add(std::uint64_t size, std::size_t bucket) {
        ++messages;
        bytes += size;
        ++ages[bucket];
    }
    nlohmann::json json() const {
        return {{"domain", domain}, {"messages", messages}, {"bytes", bytes}, {"ages", ages}};
    }
};

std::size_t bucket_of(std::chrono::system_clock::duration age) {
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(age).count();
    for (std::size_t i = 0; i < std::size(kAgeBuckets); ++i) {
        if (minutes < kAgeBuckets[i]) return i;
    }
    return kBuckets - 1;
}

std::string domain_of(const std::string& address) {
    auto a = mail::parse_mailbox(address, true);
    return a ? mail::normalize_domain(a->domain) : "(unparsable)";
}

}  // namespace

nlohmann::json queue_summary(const std::vector<queue::Envelope>& messages,
                             std::chrono::system_clock::time_point now) {
    std::map<std::string, Row> rows;
    Row total{"TOTAL"};
    for (const auto& env : messages) {
        std::set<std::string> domains;
        for (const auto& r : env.recipients) {
            if (r.state == queue::RecipientState::pending) domains.insert(domain_of(r.address));
        }
        if (domains.empty()) continue;
        std::size_t bucket = bucket_of(now - env.arrival);
        total.add(env.size, bucket);
        for (const auto& d : domains) {
            Row& row = rows[d];
            row.domain = d;
            row.add(env.size, bucket);
        }
    }
    std::vector<Row> sorted;
    for (auto& [d, row] : rows) sorted.push_back(std::move(row));
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Row& a, const Row& b) { return a.messages > b.messages; });
    nlohmann::json buckets = nlohmann::json::array(), domains = nlohmann::json::array();
    for (int m : kAgeBuckets) buckets.push_back(std::to_string(m) + "m");
    buckets.push_back(std::to_string(kAgeBuckets[std::size(kAgeBuckets) - 1]) + "m+");
    for (const auto& row : sorted) domains.push_back(row.json());
    return {{"buckets", buckets}, {"domains", domains}, {"total", total.json()}};
}

}  // namespace holdfast::control
