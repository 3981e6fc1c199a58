#pragma once
// What `/metrics` shows: each metric's name, help and type, and where its
// values come from (an instrument, or a callback asked at scrape time for
// what only the queue or the couriers know). Registration happens once at
// start-up; text() may run on any thread, at any time, concurrently with
// the instruments counting.
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/exposition.hpp"
#include "metrics/instruments.hpp"

namespace holdfast::metrics {

// The samples of a histogram: cumulative _bucket{le=...} lines ending in
// le="+Inf", then _sum and _count (= the +Inf bucket).
std::vector<Sample> histogram_samples(const Histogram::Snapshot& s, const Labels& labels = {});

class Registry {
  public:
    using Collect = std::function<std::vector<Sample>()>;

    // The instruments must outlive the registry.
    void counter(std::string name, std::string help, const Counter& c);
    template <std::size_t N>
    void counter(std::string name, std::string help, const LabelledCounter<N>& c) {
        add(std::move(name), std::move(help), Type::counter, [&c] {
            std::vector<Sample> out;
            for (std::size_t i = 0; i < N; ++i) {
                out.push_back({"",
                               {{c.label(), std::string(c.values()[i])}},
                               static_cast<double>(c.value(i))});
            }
            return out;
        });
    }
    void histogram(std::string name, std::string help, const Histogram& h);
    // Asked at every scrape; an exception leaves the family without samples.
    void gauge(std::string name, std::string help, Collect collect);
    // Several families from one look at their source (one pass over the
    // queue for all the queue gauges), asked at every scrape; an exception
    // leaves them out of that scrape.
    void families(std::function<std::vector<Family>()> collect);

    std::vector<Family> collect() const;
    std::string text() const { return render(collect()); }

  private:
    void add(std::string name, std::string help, Type type, Collect collect);

    mutable std::mutex mu_;
    std::vector<std::string> names_;  // of the single families, to refuse duplicates
    std::vector<std::function<std::vector<Family>()>> entries_;  // in registration order
};

}  // namespace holdfast::metrics
