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

const Scheduler::Destination* Scheduler::find(const std::string& destination) const {
    auto it = destinations_.find(destination);
    return it == destinations_.end() ? nullptr : &it->second;
}

void Scheduler::take_off(Destination& d, Slot s, bool probe) {
    d.entries.take_off(s);
    if (probe) d.probe = s;
}

void Scheduler::add(const std::string& id, const std::string& destination, Time arrival,
                    Time next_attempt, bool warned, unsigned attempts) {
    // An entry in flight keeps flying: it joins the orders when it is reported.
    destinations_[destination].entries.put(id, arrival, next_attempt, warned, attempts);
}

void Scheduler::remove(const std::string& id, const std::string& destination) {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return;
    Destination& d = dit->second;
    Slot s = d.entries.find(id);
    if (s == Backlog::none) return;
    if (d.probe == s) d.probe = Backlog::none;
    d.entries.erase(s);
}

// Lifetime and delay warning: judged against the policy of today, so a
// changed lifetime also applies to mail already queued. Entries in flight
// are not in the orders: they are judged when their attempt is over.
void Scheduler::housekeeping(const std::string& name, Destination& d, Time now,
                             std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    for (Slot s;
         (s = d.entries.oldest()) != Backlog::none && now >= d.entries.arrival(s) + p.lifetime;) {
        out.push_back({TaskKind::expire, std::string(d.entries.id(s)), name});
        d.entries.erase(s);
    }
    if (p.delay_warning.count() <= 0) return;
    for (Slot s; (s = d.entries.oldest_unwarned()) != Backlog::none &&
                 now >= d.entries.arrival(s) + p.delay_warning;) {
        out.push_back({TaskKind::warn, std::string(d.entries.id(s)), name});
        d.entries.mark_warned(s);
    }
}

void Scheduler::hand_out(const std::string& name, Destination& d, Time now,
                         std::vector<Task>& out) {
    const SchedulePolicy& p = policy(name);
    if (d.down) {
        // One probe at a time, the oldest message, whatever its own backoff.
        if (d.probe != Backlog::none || now < d.next_probe) return;
        Slot s = d.entries.oldest();
        if (s == Backlog::none) return;
        take_off(d, s, true);
        out.push_back({TaskKind::probe, std::string(d.entries.id(s)), name});
        return;
    }
    // Earliest next attempt first; of those due at the same time, the one
    // waiting longest.
    for (Slot s; d.entries.in_flight() < p.concurrency &&
                 (s = d.entries.next_due()) != Backlog::none && d.entries.next(s) <= now;) {
        take_off(d, s, false);
        out.push_back({TaskKind::deliver, std::string(d.entries.id(s)), name});
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
        bool forget = d.entries.empty() && (!d.down || now >= d.next_probe);
        it = forget ? destinations_.erase(it) : std::next(it);
    }
    return out;
}

void Scheduler::report(const std::string& id, const std::string& destination, Attempt a, Time now) {
    auto dit = destinations_.find(destination);
    if (dit == destinations_.end()) return;
    Destination& d = dit->second;
    const SchedulePolicy& p = policy(destination);
    // Reported twice, never handed out, or removed meanwhile: still news
    // about the destination, but no attempt of this entry was in flight.
    Slot s = d.entries.find(id);
    bool was_probe = s != Backlog::none && d.probe == s;
    if (was_probe) d.probe = Backlog::none;

    if (a == Attempt::unreachable) {
        // Only the first failure or a failed probe sets the next probe: a
        // straggler that fails later must not push it back.
        if (!d.down || was_probe) d.next_probe = now + p.probe_interval;
        d.down = true;
    } else if (d.down) {
        // The destination answered: its whole backlog is due now.
        d.down = false;
        d.entries.all_due(now);
    }
    if (s == Backlog::none) return;
    switch (a) {
        case Attempt::delivered:
        case Attempt::failed:
            d.entries.erase(s);
            return;
        case Attempt::deferred:
        case Attempt::unreachable:
            d.entries.retry(s, now + backoff(p, d.entries.attempts(s) + 1));
            return;
    }
}

std::optional<Time> Scheduler::next_wakeup() const {
    std::optional<Time> best;
    auto consider = [&](Time t) {
        if (!best || t < *best) best = t;
    };
    for (const auto& [name, d] : destinations_) {
        const SchedulePolicy& p = policy(name);
        Slot oldest = d.entries.oldest();
        if (oldest == Backlog::none) continue;  // everything in flight: its report wakes us
        consider(d.entries.arrival(oldest) + p.lifetime);
        Slot unwarned = d.entries.oldest_unwarned();
        if (unwarned != Backlog::none && p.delay_warning.count() > 0) {
            consider(d.entries.arrival(unwarned) + p.delay_warning);
        }
        if (!d.down && d.entries.in_flight() < p.concurrency) {
            consider(d.entries.next(d.entries.next_due()));
        }
        if (d.down && d.probe == Backlog::none) consider(d.next_probe);
    }
    return best;
}

void Scheduler::flush(Time now, const std::string& destination) {
    for (auto& [name, d] : destinations_) {
        if (!destination.empty() && name != destination) continue;
        d.entries.all_due(now);
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
    const Destination* d = find(destination);
    if (!d || !d->down) return std::nullopt;
    return d->next_probe;
}

unsigned Scheduler::attempts(const std::string& id, const std::string& destination) const {
    const Destination* d = find(destination);
    Slot s = d ? d->entries.find(id) : Backlog::none;
    return s == Backlog::none ? 0 : d->entries.attempts(s);
}

bool Scheduler::in_flight(const std::string& id, const std::string& destination) const {
    const Destination* d = find(destination);
    Slot s = d ? d->entries.find(id) : Backlog::none;
    return s != Backlog::none && d->entries.in_flight(s);
}

bool Scheduler::is_down(const std::string& destination) const {
    const Destination* d = find(destination);
    return d && d->down;
}

std::optional<Time> Scheduler::next_attempt(const std::string& id,
                                            const std::string& destination) const {
    const Destination* d = find(destination);
    Slot s = d ? d->entries.find(id) : Backlog::none;
    if (s == Backlog::none) return std::nullopt;
    if (d->down) return std::max(d->entries.next(s), d->next_probe);
    return d->entries.next(s);
}

std::size_t Scheduler::size() const {
    std::size_t n = 0;
    for (const auto& [name, d] : destinations_) n += d.entries.size();
    return n;
}

}  // namespace holdfast::queue
