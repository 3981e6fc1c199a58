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

void Scheduler::add(const std::string& id, const std::string& destination, Time arrival,
                    Time next_attempt, bool warned) {
    Destination& d = destinations_[destination];
    Entry& e = d.entries[id];
    e.arrival = arrival;
    e.next = next_attempt;
    e.warned = warned;
}

void Scheduler::settle(Destination& d, const std::string& id, Entry& e) {
    if (!e.in_flight) return;
    e.in_flight = false;
    --d.in_flight;
    if (d.probe == id) d.probe.clear();
}

void Scheduler::remove(const std::string& id, const std::string& destination) {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return;
    auto eit = dit->second.entries.find(id);
    if (eit == dit->second.entries.end()) return;
    settle(dit->second, id, eit->second);
    dit->second.entries.erase(eit);
}

// Lifetime and delay warning: judged against the policy of today, so a
// changed lifetime also applies to mail already queued.
void Scheduler::housekeeping(const std::string& name, Destination& d, Time now,
                             std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    for (auto it = d.entries.begin(); it != d.entries.end();) {
        Entry& e = it->second;
        if (e.in_flight) {  // judged when its attempt is over
            ++it;
            continue;
        }
        if (now >= e.arrival + p.lifetime) {
            out.push_back({TaskKind::expire, it->first, name});
            it = d.entries.erase(it);
            continue;
        }
        if (!e.warned && p.delay_warning.count() > 0 && now >= e.arrival + p.delay_warning) {
            out.push_back({TaskKind::warn, it->first, name});
            e.warned = true;
        }
        ++it;
    }
}

void Scheduler::hand_out(const std::string& name, Destination& d, Time now,
                         std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    if (d.down) {
        // One probe at a time, the oldest message, whatever its own backoff.
        if (!d.probe.empty() || now < d.next_probe) return;
        for (auto& [id, e] : d.entries) {
            if (e.in_flight) continue;
            e.in_flight = true;
            ++d.in_flight;
            d.probe = id;
            out.push_back({TaskKind::probe, id, name});
            return;
        }
        return;
    }
    if (d.in_flight >= p.concurrency) return;
    std::vector<std::pair<Time, const std::string*>> ready;
    for (auto& [id, e] : d.entries) {
        if (!e.in_flight && e.next <= now) ready.emplace_back(e.next, &id);
    }
    // Longest waiting first; the id (time-sortable) breaks ties by arrival.
    std::sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first : *a.second < *b.second;
    });
    for (const auto& [next, id] : ready) {
        if (d.in_flight >= p.concurrency) break;
        d.entries[*id].in_flight = true;
        ++d.in_flight;
        out.push_back({TaskKind::deliver, *id, name});
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
    if (eit != d.entries.end()) settle(d, id, eit->second);

    if (a == Attempt::unreachable) {
        // Only the first failure or a failed probe sets the next probe: a
        // straggler that fails later must not push it back.
        if (!d.down || was_probe) d.next_probe = now + p.probe_interval;
        d.down = true;
    } else if (d.down) {
        // The destination answered: its whole backlog is due now.
        d.down = false;
        for (auto& [eid, e] : d.entries) e.next = now;
    }
    if (eit == d.entries.end()) return;  // removed while in flight
    Entry& e = eit->second;
    switch (a) {
        case Attempt::delivered:
        case Attempt::failed:
            d.entries.erase(eit);
            break;
        case Attempt::deferred:
        case Attempt::unreachable:
            ++e.attempts;
            e.next = now + backoff(p, e.attempts);
            break;
    }
}

std::optional<Time> Scheduler::next_wakeup() const {
    std::optional<Time> best;
    auto consider = [&](Time t) {
        if (!best || t < *best) best = t;
    };
    for (const auto& [name, d] : destinations_) {
        const SchedulePolicy& p = policy(name);
        bool idle_entry = false;
        for (const auto& [id, e] : d.entries) {
            if (e.in_flight) continue;
            idle_entry = true;
            consider(e.arrival + p.lifetime);
            if (!e.warned && p.delay_warning.count() > 0) consider(e.arrival + p.delay_warning);
            if (!d.down && d.in_flight < p.concurrency) consider(e.next);
        }
        if (d.down && d.probe.empty() && idle_entry) consider(d.next_probe);
    }
    return best;
}

void Scheduler::flush(Time now, const std::string& destination) {
    for (auto& [name, d] : destinations_) {
        if (!destination.empty() && name != destination) continue;
        for (auto& [id, e] : d.entries) e.next = now;
        if (d.down) d.next_probe = now;
    }
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
