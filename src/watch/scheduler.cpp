#include "watch/scheduler.hpp"

#include <algorithm>
#include <random>

namespace holdfast::watch {

Scheduler::Scheduler(Settings s, std::function<double()> random)
    : settings_(s), random_(std::move(random)) {
    if (!random_) {
        random_ = [gen = std::mt19937(std::random_device{}())]() mutable {
            return std::uniform_real_distribution<double>(0, 1)(gen);
        };
    }
}

void Scheduler::load(const std::vector<store::TargetState>& targets) {
    for (const auto& t : targets) {
        Target& x = targets_[t.target];
        x.state = t;
        x.self = t.domain.empty();  // our own address (set_self)
        auto d = domains_.find(t.domain);
        if (d != domains_.end()) d->second.targets.insert(t.target);
    }
}

void Scheduler::set_domains(const std::map<std::string, std::string>& domain_to_customer,
                            TimePoint now) {
    for (auto it = domains_.begin(); it != domains_.end();) {
        if (!domain_to_customer.contains(it->first)) {
            for (const auto& t : it->second.targets) targets_.erase(t);
            it = domains_.erase(it);
        } else {
            ++it;
        }
    }
    for (const auto& [domain, customer] : domain_to_customer) {
        auto [it, added] = domains_.try_emplace(domain);
        it->second.customer = customer;
        if (added) {
            it->second.next_poll = now;
            // Targets loaded from the store before the domain was known.
            for (const auto& [name, t] : targets_) {
                if (t.state.domain == domain) it->second.targets.insert(name);
            }
        }
    }
    std::erase_if(targets_, [&](const auto& kv) {
        return !kv.second.self && !domains_.contains(kv.second.state.domain);
    });
}

void Scheduler::set_self(const std::vector<std::string>& addresses) {
    std::erase_if(targets_, [&](const auto& kv) {
        return kv.second.self &&
               std::find(addresses.begin(), addresses.end(), kv.first) == addresses.end();
    });
    for (const auto& a : addresses) {
        auto [it, added] = targets_.try_emplace(a);
        it->second.self = true;
        it->second.state.target = a;
        it->second.state.customer = "";
        it->second.state.domain = "";
    }
}

std::vector<std::string> Scheduler::due_polls(TimePoint now, bool all) const {
    std::vector<std::string> out;
    for (const auto& [domain, d] : domains_) {
        if (all || d.next_poll <= now) out.push_back(domain);
    }
    return out;
}

std::vector<std::string> Scheduler::polled(const std::string& domain,
                                           const std::vector<std::string>& now_targets,
                                           bool changed, Seconds ttl, TimePoint now) {
    std::vector<std::string> gone;
    auto dit = domains_.find(domain);
    if (dit == domains_.end()) return gone;
    Domain& d = dit->second;
    double factor = 1.0 + settings_.jitter * (2 * random_() - 1);
    auto interval = std::chrono::duration_cast<Seconds>(settings_.mx_interval * factor);
    interval = std::max({interval, std::min(ttl, settings_.max_ttl_wait), Seconds(1)});
    d.next_poll = now + interval;
    std::set<std::string> next(now_targets.begin(), now_targets.end());
    for (const auto& t : d.targets) {
        if (!next.contains(t)) {
            gone.push_back(t);
            targets_.erase(t);
        }
    }
    for (const auto& t : next) {
        auto [it, added] = targets_.try_emplace(t);
        if (added) {
            it->second.state.target = t;
            it->second.state.customer = d.customer;
            it->second.state.domain = domain;
        }
        if (added || changed) it->second.test_now = true;
    }
    d.targets = std::move(next);
    return gone;
}

void Scheduler::poll_failed(const std::string& domain, TimePoint now) {
    auto it = domains_.find(domain);
    if (it != domains_.end()) it->second.next_poll = now + settings_.mx_interval;
}

std::optional<TimePoint> Scheduler::test_due(const Target& t) const {
    if (t.testing || t.self) return std::nullopt;
    if (t.test_now || t.state.last_test == TimePoint{}) return TimePoint{};
    if (t.state.last_verdict == "inconclusive") {
        return t.state.last_test + settings_.retry_inconclusive;
    }
    return t.state.last_test + settings_.retest_interval;
}

TimePoint Scheduler::check_due(const Target& t) const {
    if (t.state.last_rbl == TimePoint{}) return TimePoint{};
    return t.state.last_rbl + settings_.rbl_interval;
}

std::vector<TestJob> Scheduler::due_tests(TimePoint now) {
    std::vector<TestJob> out;
    for (auto& [name, t] : targets_) {
        auto due = test_due(t);
        if (!due || *due > now) continue;
        bool fresh = t.test_now || t.state.last_test == TimePoint{};
        out.push_back({name, t.state.customer, t.state.domain, fresh ? "mx-change" : "periodic"});
        t.testing = true;
        t.test_now = false;
    }
    return out;
}

void Scheduler::tested(const std::string& target, const std::string& verdict, std::int64_t test_id,
                       TimePoint now) {
    auto it = targets_.find(target);
    if (it == targets_.end()) return;
    it->second.testing = false;
    it->second.state.last_test = now;
    it->second.state.last_verdict = verdict;
    it->second.last_test_id = test_id;
}

std::vector<CheckJob> Scheduler::due_checks(TimePoint now) {
    std::vector<CheckJob> out;
    for (auto& [name, t] : targets_) {
        if (t.checking || check_due(t) > now) continue;
        out.push_back({name, t.state.customer});
        t.checking = true;
    }
    return out;
}

void Scheduler::checked(const std::string& target, const std::vector<std::string>& listed,
                        TimePoint now) {
    auto it = targets_.find(target);
    if (it == targets_.end()) return;
    it->second.checking = false;
    it->second.state.last_rbl = now;
    it->second.state.listed_zones = listed;
}

std::optional<TimePoint> Scheduler::next_due() const {
    std::optional<TimePoint> next;
    auto consider = [&](TimePoint t) {
        if (!next || t < *next) next = t;
    };
    for (const auto& [_, d] : domains_) consider(d.next_poll);
    for (const auto& [_, t] : targets_) {
        if (auto due = test_due(t)) consider(*due);
        if (!t.checking) consider(check_due(t));
    }
    return next;
}

Counts Scheduler::counts(TimePoint now) const {
    Counts c;
    c.domains = domains_.size();
    c.targets = targets_.size();
    for (const auto& [_, d] : domains_) c.polls_due += d.next_poll <= now;
    for (const auto& [_, t] : targets_) {
        auto due = test_due(t);
        c.tests_due += due && *due <= now;
        c.checks_due += !t.checking && check_due(t) <= now;
    }
    c.next = next_due();
    return c;
}

std::optional<store::TargetState> Scheduler::state(const std::string& target) const {
    auto it = targets_.find(target);
    if (it == targets_.end()) return std::nullopt;
    return it->second.state;
}

std::vector<Scheduler::Current> Scheduler::targets_of(const std::string& customer) const {
    std::vector<Current> out;
    for (const auto& [name, t] : targets_) {
        if (!t.self && t.state.customer == customer) {
            out.push_back({name, t.state.last_verdict, t.last_test_id});
        }
    }
    return out;
}

}  // namespace holdfast::watch
