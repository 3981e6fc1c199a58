#pragma once
// The instruments that count events where they happen. An increment is one
// relaxed atomic add on a field resolved at compile time: no lookup, no
// lock, cheap enough for the SMTP accept path (thousands a second). What
// the numbers mean and how they are named is the registry's business
// (registry.hpp); these only hold values.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::metrics {

// Only ever goes up (until the process restarts).
class Counter {
  public:
    void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

// A counter per value of one label whose values are few and known in
// advance (verdict = open | closed | inconclusive). A value not in the set
// counts under the last one, which should therefore be a catch-all.
template <std::size_t N>
class LabelledCounter {
  public:
    LabelledCounter(std::string label, std::array<std::string_view, N> values)
        : label_(std::move(label)), values_(values) {}

    void inc(std::size_t index, std::uint64_t n = 1) {
        counters_[index < N ? index : N - 1].inc(n);
    }
    // For rare events only (a linear search over N short strings).
    void inc(std::string_view value, std::uint64_t n = 1) {
        std::size_t i = 0;
        while (i < N && values_[i] != value) ++i;
        inc(i, n);
    }
    std::uint64_t value(std::size_t index) const { return counters_[index].value(); }
    const std::string& label() const { return label_; }
    const std::array<std::string_view, N>& values() const { return values_; }

  private:
    std::string label_;
    std::array<std::string_view, N> values_;
    std::array<Counter, N> counters_;
};

// Observations sorted into fixed buckets (upper bounds in seconds,
// ascending); one more bucket (+Inf) takes the rest. Each observation is
// two relaxed atomic adds.
class Histogram {
  public:
    explicit Histogram(std::initializer_list<double> upper_bounds_seconds);

    void observe(std::chrono::nanoseconds d);
    void observe_seconds(double seconds);

    struct Snapshot {
        std::vector<double> bounds;         // without +Inf
        std::vector<std::uint64_t> counts;  // per bucket, NOT cumulative; bounds.size() + 1
        double sum_seconds = 0;
    };
    Snapshot snapshot() const;

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

// Runs `f` and observes how long it took; returns what `f` returned:
//   if (metrics::timed(h, [&] { return ::fdatasync(fd); }) != 0) ...
template <class F>
auto timed(Histogram& h, F&& f) {
    auto start = std::chrono::steady_clock::now();
    auto result = f();
    h.observe(std::chrono::steady_clock::now() - start);
    return result;
}

}  // namespace holdfast::metrics
