#include "control/summary.hpp"

#include <algorithm>
#include <map>
#include <set>

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

// Rows per domain and the total, message by message.
class Shape {
  public:
    explicit Shape(std::chrono::system_clock::time_point now) : now_(now) {}
    // A message waiting for `domains` ("": an address without one).
    void add(const std::set<std::string_view>& domains, std::uint64_t size,
             std::chrono::system_clock::time_point arrival) {
        if (domains.empty()) return;
        std::size_t bucket = bucket_of(now_ - arrival);
        total_.add(size, bucket);
        for (const auto& d : domains) {
            std::string name = d.empty() ? "(unparsable)" : std::string(d);
            Row& row = rows_[name];
            row.domain = std::move(name);
            row.add(size, bucket);
        }
    }
    nlohmann::json json() && {
        std::vector<Row> sorted;
        for (auto& [d, row] : rows_) sorted.push_back(std::move(row));
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const Row& a, const Row& b) { return a.messages > b.messages; });
        nlohmann::json buckets = nlohmann::json::array(), domains = nlohmann::json::array();
        for (int m : kAgeBuckets) buckets.push_back(std::to_string(m) + "m");
        buckets.push_back(std::to_string(kAgeBuckets[std::size(kAgeBuckets) - 1]) + "m+");
        for (const auto& row : sorted) domains.push_back(row.json());
        return {{"buckets", buckets}, {"domains", domains}, {"total", total_.json()}};
    }

  private:
    std::chrono::system_clock::time_point now_;
    std::map<std::string, Row> rows_;
    Row total_{"TOTAL"};
};

}  // namespace

nlohmann::json queue_summary(const std::vector<queue::Envelope>& messages,
                             std::chrono::system_clock::time_point now) {
    Shape shape(now);
    for (const auto& env : messages) {
        std::vector<std::string> names;
        for (const auto& r : env.recipients) {
            if (r.state == queue::RecipientState::pending)
                names.push_back(queue::destination_domain(r.address));
        }
        shape.add({names.begin(), names.end()}, env.size, env.arrival);
    }
    return std::move(shape).json();
}

nlohmann::json queue_summary(const queue::Spool& spool, std::chrono::system_clock::time_point now) {
    Shape shape(now);
    spool.for_each([&](const queue::QueuedMessage& m) {
        std::set<std::string_view> domains;
        for (const auto& p : m.pending) domains.insert(p.domain);
        shape.add(domains, m.size, m.arrival);
    });
    return std::move(shape).json();
}

}  // namespace holdfast::control
