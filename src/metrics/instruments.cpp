#include "metrics/instruments.hpp"

#include <algorithm>
#include <cmath>

namespace holdfast::metrics {

Histogram::Histogram(std::initializer_list<double> upper_bounds_seconds)
    : bounds_(upper_bounds_seconds),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(std::chrono::nanoseconds d) {
    auto ns = std::max<std::int64_t>(d.count(), 0);
    // Prometheus buckets are "less than or equal": the first bound >= value.
    double seconds = static_cast<double>(ns) / 1e9;
    auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
    counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

void Histogram::observe_seconds(double seconds) {
    if (!(seconds >= 0)) seconds = 0;  // negative or NaN: a clock step, count it as instant
    if (seconds > 1e9) seconds = 1e9;  // keeps the nanosecond conversion in range
    observe(std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9))));
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.bounds = bounds_;
    s.counts.resize(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    }
    s.sum_seconds = static_cast<double>(sum_nanoseconds_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

}  // namespace holdfast::metrics
