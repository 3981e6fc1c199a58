// The backup queue per domain over time: one row per domain and sample,
// written by the watch, read by the admin pages' pictures.
#include "store/database.hpp"
#include "store/store.hpp"

namespace holdfast::store {
namespace {

std::int64_t secs(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::int64_t num(const std::optional<std::string>& v) {
    return v && !v->empty() ? std::stoll(*v) : 0;
}

// BIGINT is signed in both databases; a count beyond it is not a real queue.
std::int64_t clamp(std::uint64_t n) {
    constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
    return static_cast<std::int64_t>(n > kMax ? kMax : n);
}

}  // namespace

void Store::add_queue_sample(const std::string& domain, std::uint64_t messages, std::uint64_t bytes,
                             TimePoint at) {
    std::lock_guard lock(mu_);
    db_->query("INSERT INTO queue_samples (domain, at, messages, bytes) VALUES (?, ?, ?, ?)",
               {domain, secs(at), clamp(messages), clamp(bytes)});
}

std::vector<QueueSample> Store::queue_samples(const std::string& domain, TimePoint since) {
    std::lock_guard lock(mu_);
    std::vector<QueueSample> out;
    for (const auto& r : db_->query("SELECT at, messages, bytes FROM queue_samples WHERE domain = "
                                    "? AND at >= ? ORDER BY at",
                                    {domain, secs(since)})) {
        out.push_back({domain, TimePoint(std::chrono::seconds(num(r[0]))),
                       static_cast<std::uint64_t>(num(r[1])),
                       static_cast<std::uint64_t>(num(r[2]))});
    }
    return out;
}

void Store::prune_queue_samples(TimePoint before) {
    std::lock_guard lock(mu_);
    db_->query("DELETE FROM queue_samples WHERE at < ?", {secs(before)});
}

}  // namespace holdfast::store
