#include "queue/scheduler.hpp"

#include <algorithm>

namespace holdfast::queue {

Seconds backoff(const SchedulePolicy& p, unsigned attempts) {
    Seconds d = p.retry_min;
    for (unsigned i = 1; i < attempts && d < p.retry_max; ++i) d *= 2;
    return std::min(d, p.retry_max);
}

void Scheduler::set_policy(const std::string& destination, SchedulePolicy p) {
    policies_[destination] = p;
}

const SchedulePolicy& Scheduler::policy(const std::string& destination) const {
    auto it = policies_.find(destination);
    return it == policies_.end() ? defaults_ : it->second;
}

void Scheduler::index(Destination& d, EntryIt it) {
    const Entry& e = it->second;
    d.by_next.insert({e.next, &it->first});
    d.by_arrival.insert({e.arrival, &it->first});
    if (!e.warned) d.unwarned.insert({e.arrival, &it->first});
}

void Scheduler::unindex(Destination& d, EntryIt it) {
    const Entry& e = it->second;
    d.by_next.erase({e.next, &it->first});
    d.by_arrival.erase({e.arrival, &it->first});
    d.unwarned.erase({e.arrival, &it->first});
}

void Scheduler::take_off(Destination& d, EntryIt it, bool probe) {
    unindex(d, it);
    it->second.in_flight = true;
    ++d.in_flight;
    if (probe) d.probe = it->first;
}

void Scheduler::settle(Destination& d, EntryIt it) {
    if (!it->second.in_flight) return;
    it->second.in_flight = false;
    --d.in_flight;
    if (d.probe == it->first) d.probe.clear();
}

void Scheduler::all_due(Destination& d, Time now) {
    d.by_next.clear();
    for (auto it = d.entries.begin(); it != d.entries.end(); ++it) {
        it->second.next = now;
        if (!it->second.in_flight) d.by_next.insert({now, &it->first});
    }
}

void Scheduler::add(const std::string& id, const std::string& destination, Time arrival,
                    Time next_attempt, bool warned, unsigned attempts) {
    Destination& d = destinations_[destination];
    auto [it, fresh] = d.entries.try_emplace(id);
    Entry& e = it->second;
    if (!fresh && !e.in_flight) unindex(d, it);
    e.arrival = arrival;
    e.next = next_attempt;
    e.warned = warned;
    e.attempts = std::max(e.attempts, attempts);
    if (!e.in_flight) index(d, it);  // an entry in flight is indexed when it is reported
}

void Scheduler::remove(const std::string& id, const std::string& destination) {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return;
    Destination& d = dit->second;
    auto eit = d.entries.find(id);
    if (eit == d.entries.end()) return;
    if (eit->second.in_flight) {
        settle(d, eit);
    } else {
        unindex(d, eit);
    }
    d.entries.erase(eit);
}

// Lifetime and delay warning: judged against the policy of today, so a
// changed lifetime also applies to mail already queued. Entries in flight
// are not in the orders: they are judged when their attempt is over.
void Scheduler::housekeeping(const std::string& name, Destination& d, Time now,
                             std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    while (!d.by_arrival.empty() && now >= d.by_arrival.begin()->at + p.lifetime) {
        auto it = d.entries.find(*d.by_arrival.begin()->id);
        out.push_back({TaskKind::expire, it->first, name});
        unindex(d, it);
        d.entries.erase(it);
    }
    if (p.delay_warning.count() <= 0) return;
    while (!d.unwarned.empty() && now >= d.unwarned.begin()->at + p.delay_warning) {
        auto it = d.entries.find(*d.unwarned.begin()->id);
        out.push_back({TaskKind::warn, it->first, name});
        it->second.warned = true;
        d.unwarned.erase(d.unwarned.begin());
    }
}

void Scheduler::hand_out(const std::string& name, Destination& d, Time now,
                         std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    if (d.down) {
        // One probe at a time, the oldest message, whatever its own backoff.
        if (!d.probe.empty() || now < d.next_probe || d.by_arrival.empty()) return;
        auto it = d.entries.find(*d.by_arrival.begin()->id);
        take_off(d, it, true);
        out.push_back({TaskKind::probe, it->first, name});
        return;
    }
    // Longest waiting first; the id (time-sortable) breaks ties by arrival.
    while (d.in_flight < p.concurrency && !d.by_next.empty() && d.by_next.begin()->at <= now) {
        auto it = d.entries.find(*d.by_next.begin()->id);
        take_off(d, it, false);
        out.push_back({TaskKind::deliver, it->first, name});
    }
}

std::vector<Task> Scheduler::due(Time now) {
    std::vector<Task> out;
    for (auto it = destinations_.begin(); it != destinations_.end();) {
        Destination& d = it->second;
        housekeeping(it->first, d, now, out);
        hand_out(it->first, d, now, out);
        // A down destination is remembered until its probe is due, so that
        // new mail for it waits for the probe instead of trying at once.
        bool forget = d.entries.empty() && d.in_flight == 0 && (!d.down || now >= d.next_probe);
        it = forget ? destinations_.erase(it) : std::next(it);
    }
    return out;
}

void Scheduler::report(const std::string& id, const std::string& destination, Attempt a, Time now) {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return;
    Destination& d = dit->second;
    const SchedulePolicy& p = policy(destination);
    bool was_probe = d.probe == id;
    auto eit = d.entries.find(id);
    // Reported twice, or never handed out: nothing was in flight.
    bool was_in_flight = eit != d.entries.end() && eit->second.in_flight;
    if (eit != d.entries.end()) {
        if (was_in_flight) {
            settle(d, eit);
        } else {
            unindex(d, eit);
        }
    }

    if (a == Attempt::unreachable) {
        // Only the first failure or a failed probe sets the next probe: a
        // straggler that fails later must not push it back.
        if (!d.down || was_probe) d.next_probe = now + p.probe_interval;
        d.down = true;
    } else if (d.down) {
        // The destination answered: its whole backlog is due now.
        d.down = false;
        all_due(d, now);
    }
    if (eit == d.entries.end()) return;  // removed while in flight
    Entry& e = eit->second;
    d.by_next.erase({e.next, &eit->first});  // all_due may have put it there
    switch (a) {
        case Attempt::delivered:
        case Attempt::failed:
            d.entries.erase(eit);
            return;
        case Attempt::deferred:
        case Attempt::unreachable:
            ++e.attempts;
            e.next = now + backoff(p, e.attempts);
            break;
    }
    index(d, eit);
}

std::optional<Time> Scheduler::next_wakeup() const {
    std::optional<Time> best;
    auto consider = [&](Time t) {
        if (!best || t < *best) best = t;
    };
    for (const auto& [name, d] : destinations_) {
        const SchedulePolicy& p = policy(name);
        if (d.by_arrival.empty()) continue;  // everything in flight: its report wakes us
        consider(d.by_arrival.begin()->at + p.lifetime);
        if (!d.unwarned.empty() && p.delay_warning.count() > 0) {
            consider(d.unwarned.begin()->at + p.delay_warning);
        }
        if (!d.down && d.in_flight < p.concurrency) consider(d.by_next.begin()->at);
        if (d.down && d.probe.empty()) consider(d.next_probe);
    }
    return best;
}

void Scheduler::flush(Time now, const std::string& destination) {
    for (auto& [name, d] : destinations_) {
        if (!destination.empty() && name != destination) continue;
        all_due(d, now);
        if (d.down) d.next_probe = now;
    }
}

void Scheduler::mark_down(const std::string& destination, Time next_probe) {
    Destination& d = destinations_[destination];
    d.down = true;
    d.next_probe = next_probe;
}

std::vector<Scheduler::Down> Scheduler::down() const {
    std::vector<Down> out;
    for (const auto& [name, d] : destinations_) {
        if (d.down) out.push_back({name, d.next_probe});
    }
    return out;
}

std::optional<Time> Scheduler::next_probe(const std::string& destination) const {
    auto it = destinations_.find(destination);
    if (it == destinations_.end() || !it->second.down) return std::nullopt;
    return it->second.next_probe;
}

unsigned Scheduler::attempts(const std::string& id, const std::string& destination) const {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return 0;
    auto eit = dit->second.entries.find(id);
    return eit == dit->second.entries.end() ? 0 : eit->second.attempts;
}

bool Scheduler::in_flight(const std::string& id, const std::string& destination) const {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return false;
    auto eit = dit->second.entries.find(id);
    return eit != dit->second.entries.end() && eit->second.in_flight;
}

bool Scheduler::is_down(const std::string& destination) const {
    auto it = destinations_.find(destination);
    return it != destinations_.end() && it->second.down;
}

std::optional<Time> Scheduler::next_attempt(const std::string& id,
                                            const std::string& destination) const {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return std::nullopt;
    auto eit = dit->second.entries.find(id);
    if (eit == dit->second.entries.end()) return std::nullopt;
    if (dit->second.down) return std::max(eit->second.next, dit->second.next_probe);
    return eit->second.next;
}

std::size_t Scheduler::size() const {
    std::size_t n = 0;
    for (const auto& [name, d] : destinations_) n += d.entries.size();
    return n;
}

}  // namespace holdfast::queue
