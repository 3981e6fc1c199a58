#include "metrics/registry.hpp"

#include <stdexcept>

namespace holdfast::metrics {

std::vector<Sample> histogram_samples(const Histogram::Snapshot& s, const Labels& labels) {
    std::vector<Sample> out;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < s.counts.size(); ++i) {
        cumulative += s.counts[i];
        Labels l = labels;
        l.emplace_back("le", i < s.bounds.size() ? format_value(s.bounds[i]) : "+Inf");
        out.push_back({"_bucket", std::move(l), static_cast<double>(cumulative)});
    }
    out.push_back({"_sum", labels, s.sum_seconds});
    // From the buckets, not a separate count: a scrape during an observe
    // still shows _count equal to the +Inf bucket.
    out.push_back({"_count", labels, static_cast<double>(cumulative)});
    return out;
}

void Registry::counter(std::string name, std::string help, const Counter& c) {
    add(std::move(name), std::move(help), Type::counter, [&c] {
        return std::vector<Sample>{{"", {}, static_cast<double>(c.value())}};
    });
}

void Registry::histogram(std::string name, std::string help, const Histogram& h) {
    add(std::move(name), std::move(help), Type::histogram,
        [&h] { return histogram_samples(h.snapshot()); });
}

void Registry::gauge(std::string name, std::string help, Collect collect) {
    add(std::move(name), std::move(help), Type::gauge, std::move(collect));
}

void Registry::add(std::string name, std::string help, Type type, Collect collect) {
    if (!valid_metric_name(name)) throw std::invalid_argument("bad metric name: " + name);
    std::lock_guard lock(mu_);
    for (const auto& n : names_) {
        if (n == name) throw std::invalid_argument("metric registered twice: " + name);
    }
    names_.push_back(name);
    entries_.push_back(
        [name = std::move(name), help = std::move(help), type, collect = std::move(collect)] {
            Family f{name, help, type, {}};
            try {
                f.samples = collect();
            } catch (const std::exception&) {
                // A gauge whose source failed this time: shown without values
                // rather than failing the whole scrape.
            }
            return std::vector<Family>{std::move(f)};
        });
}

void Registry::families(std::function<std::vector<Family>()> collect) {
    std::lock_guard lock(mu_);
    entries_.push_back(std::move(collect));
}

std::vector<Family> Registry::collect() const {
    std::lock_guard lock(mu_);
    std::vector<Family> out;
    for (const auto& e : entries_) {
        try {
            for (auto& f : e()) out.push_back(std::move(f));
        } catch (const std::exception&) {
            // Left out of this scrape; the others still answer.
        }
    }
    return out;
}

}  // namespace holdfast::metrics
