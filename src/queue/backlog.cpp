#include "queue/backlog.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace holdfast::queue {

namespace {
// Above this many stale marks in a heap (and more stale than live) it is
// rebuilt; the floor keeps small queues from rebuilding all the time.
constexpr std::size_t kSlack = 64;
}  // namespace

Backlog::Slot Backlog::find(std::string_view id) const {
    return ids_.find(id, id_of());
}

bool Backlog::current(const Mark& m) const {
    const Entry& e = slab_[m.slot];
    return idle(e) && e.stamp == m.stamp;
}

Backlog::Slot Backlog::allocate() {
    if (free_ != none) {
        Slot s = free_;
        free_ = slab_[s].stamp;
        return s;
    }
    if (slab_.size() >= none)
        throw std::length_error("scheduler: too many entries for one destination");
    slab_.push_back(Entry{});
    return static_cast<Slot>(slab_.size() - 1);
}

Backlog::Slot Backlog::put(std::string_view id, Time arrival, Time next, bool warned,
                           unsigned attempts) {
    Slot s = find(id);
    if (s == none) {
        s = allocate();
        slab_[s].id = CompactId(id);
        slab_[s].flags = live_flag;
        ids_.insert(id, s, id_of());
        ++live_;
    }
    Entry& e = slab_[s];
    e.arrival = arrival.time_since_epoch().count();
    e.next = next.time_since_epoch().count();
    e.flags = static_cast<std::uint8_t>(warned ? e.flags | warned_flag : e.flags & ~warned_flag);
    e.attempts = static_cast<std::uint16_t>(
        std::max<unsigned>(e.attempts, std::min(attempts, max_attempts)));
    if (idle(e)) index(s);  // new marks; any old ones are stale now
    tidy();
    return s;
}

void Backlog::erase(Slot s) {
    Entry& e = slab_[s];
    ids_.erase(e.id.view(), id_of());
    if (e.flags & in_flight_flag) --in_flight_;
    e = Entry{};  // not live: its marks are stale
    e.stamp = free_;
    free_ = s;
    --live_;
    tidy();
}

void Backlog::take_off(Slot s) {
    slab_[s].flags |= in_flight_flag;
    ++in_flight_;
    tidy();
}

void Backlog::retry(Slot s, Time next) {
    Entry& e = slab_[s];
    if (e.flags & in_flight_flag) {
        e.flags &= ~in_flight_flag;
        --in_flight_;
    }
    if (e.attempts < max_attempts) ++e.attempts;
    e.next = next.time_since_epoch().count();
    index(s);
    tidy();
}

void Backlog::mark_warned(Slot s) {
    Entry& e = slab_[s];
    e.flags |= warned_flag;  // its mark among the unwarned is stale now
    if (idle(e)) warned_.push({e.arrival, s, e.stamp});
    tidy();
}

void Backlog::all_due(Time now) {
    for (std::size_t s = 0; s < slab_.size(); ++s) {
        if (slab_[s].flags & live_flag) slab_[s].next = now.time_since_epoch().count();
    }
    // All at the same time now: the ties, i.e. the order they go out in, by arrival.
    restamp(true);
}

void Backlog::index(Slot s) {
    if (next_stamp_ >= stamp_limit_) restamp(false);
    Entry& e = slab_[s];
    e.stamp = next_stamp_++;
    by_next_.push({e.next, s, e.stamp});
    arrival_order(s).push({e.arrival, s, e.stamp});
}

// Stamps 0, 1, ... for the idle entries, by arrival (all_due) or in the
// order of their stamps so far (the stamps ran out), then the orders anew.
// The orders go first, so that the sort's 16 bytes per entry never come on
// top of their 32.
void Backlog::restamp(bool by_arrival) {
    by_next_.clear();
    unwarned_.clear();
    warned_.clear();
    renumber(by_arrival);
    rebuild();
}

void Backlog::renumber(bool by_arrival) {
    struct Item {
        std::int64_t key;
        std::uint32_t stamp;
        Slot slot;
        bool operator<(const Item& o) const { return key != o.key ? key < o.key : stamp < o.stamp; }
    };
    std::vector<Item> items;
    items.reserve(live_ - in_flight_);
    for (std::size_t s = 0; s < slab_.size(); ++s) {
        const Entry& e = slab_[s];
        if (idle(e)) items.push_back({by_arrival ? e.arrival : 0, e.stamp, static_cast<Slot>(s)});
    }
    std::sort(items.begin(), items.end());
    for (std::size_t i = 0; i < items.size(); ++i) {
        slab_[items[i].slot].stamp = static_cast<std::uint32_t>(i);
    }
    next_stamp_ = static_cast<std::uint32_t>(items.size());
}

void Backlog::rebuild() {
    by_next_.clear();
    unwarned_.clear();
    warned_.clear();
    for (std::size_t i = 0; i < slab_.size(); ++i) {
        const Entry& e = slab_[i];
        if (!idle(e)) continue;
        Slot s = static_cast<Slot>(i);
        by_next_.append({e.next, s, e.stamp});
        arrival_order(s).append({e.arrival, s, e.stamp});
    }
    by_next_.heapify();
    unwarned_.heapify();
    warned_.heapify();
}

void Backlog::tidy() {
    if (live_ == 0) {  // give everything back (the scheduler may keep a down destination)
        if (slab_.empty()) return;
        slab_.clear();
        ids_.clear();
        by_next_.clear();
        unwarned_.clear();
        warned_.clear();
        free_ = none;
        next_stamp_ = 0;
        return;
    }
    auto stale_next = [this](const Mark& m) { return !current(m); };
    auto stale_unwarned = [this](const Mark& m) { return !current_unwarned(m); };
    auto stale_warned = [this](const Mark& m) { return !current_warned(m); };
    while (!by_next_.empty() && stale_next(by_next_.top())) by_next_.pop();
    while (!unwarned_.empty() && stale_unwarned(unwarned_.top())) unwarned_.pop();
    while (!warned_.empty() && stale_warned(warned_.top())) warned_.pop();

    const std::size_t idle_entries = live_ - in_flight_;
    if (by_next_.size() > 2 * idle_entries + kSlack) {
        by_next_.retain_if([this](const Mark& m) { return current(m); });
    }
    if (unwarned_.size() + warned_.size() > 2 * idle_entries + kSlack) {
        unwarned_.retain_if([this](const Mark& m) { return current_unwarned(m); });
        warned_.retain_if([this](const Mark& m) { return current_warned(m); });
    }
}

Backlog::Slot Backlog::next_due() const {
    return by_next_.empty() ? none : by_next_.top().slot;
}

Backlog::Slot Backlog::oldest_unwarned() const {
    return unwarned_.empty() ? none : unwarned_.top().slot;
}

Backlog::Slot Backlog::oldest() const {
    if (unwarned_.empty()) return warned_.empty() ? none : warned_.top().slot;
    if (warned_.empty()) return unwarned_.top().slot;
    return warned_.top() < unwarned_.top() ? warned_.top().slot : unwarned_.top().slot;
}

std::size_t Backlog::footprint() const {
    return slab_.footprint() + ids_.footprint() + by_next_.footprint() + unwarned_.footprint() +
           warned_.footprint();
}

}  // namespace holdfast::queue
