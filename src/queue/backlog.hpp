#pragma once
// One destination's queued entries and the orders the scheduler reads them
// in, compactly (issue 15: a million-message backlog for one destination):
// about 40 bytes per entry in a slab, 8-16 in the id index, 16 per mark in
// two orders, instead of a map node and three set nodes.
//
// * entries live in a slab (chunked_vector.hpp) at a 32-bit slot, freed
//   slots are reused; the id index (slot_index.hpp) finds an id's slot;
// * an idle entry (not in flight) is in two orders (mark_heap.hpp): by next
//   attempt, and by arrival, the latter split in "not warned yet" and
//   "warned" so that the oldest unwarned entry is at hand too;
// * marks are deleted lazily: each time an entry becomes idle it gets a new
//   stamp and new marks; a mark whose stamp is not its entry's any more (or
//   whose entry is in flight, gone, or on the other side of the warning) is
//   stale, skipped and dropped when it reaches the top, and a heap holding
//   more stale marks than live ones is rebuilt (O(n), amortised O(1) per
//   change). After every change each heap's top is live, so the const
//   readers (oldest(), next_due()) can look at it;
// * ties in an order go to the older stamp: the entry idle for longer.
//
// No policy here: what is due, expired or warned is the scheduler's call.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "queue/chunked_vector.hpp"
#include "queue/compact_id.hpp"
#include "queue/mark_heap.hpp"
#include "queue/slot_index.hpp"

namespace holdfast::queue {

class Backlog {
  public:
    using Time = std::chrono::system_clock::time_point;
    using Slot = std::uint32_t;
    static constexpr Slot none = SlotIndex::none;
    static constexpr unsigned max_attempts = UINT16_MAX;  // attempts() saturates there

    // `stamp_limit`: when the stamps run out, every idle entry is stamped
    // again from 0 in the same order (tests lower it to see that happen;
    // it must stay above the number of entries).
    explicit Backlog(std::uint32_t stamp_limit = UINT32_MAX) : stamp_limit_(stamp_limit) {}

    std::size_t size() const { return live_; }  // entries, in flight or not
    std::size_t in_flight() const { return in_flight_; }
    bool empty() const { return live_ == 0; }

    Slot find(std::string_view id) const;
    std::string_view id(Slot s) const { return slab_[s].id.view(); }
    Time arrival(Slot s) const { return Time(Time::duration(slab_[s].arrival)); }
    Time next(Slot s) const { return Time(Time::duration(slab_[s].next)); }
    unsigned attempts(Slot s) const { return slab_[s].attempts; }
    bool in_flight(Slot s) const { return slab_[s].flags & in_flight_flag; }
    bool warned(Slot s) const { return slab_[s].flags & warned_flag; }

    // A new entry, or new times for a known one (attempts only go up). An
    // entry in flight is placed in the orders when it lands.
    Slot put(std::string_view id, Time arrival, Time next, bool warned, unsigned attempts);
    void erase(Slot s);     // idle or in flight
    void take_off(Slot s);  // idle -> in flight
    // One more attempt; tried again at `next` (in flight or not: idle after).
    void retry(Slot s, Time next);
    void mark_warned(Slot s);  // an idle entry's delay notice went
    // Every entry's next attempt = now (flush, back up): O(n log n) once.
    void all_due(Time now);

    // Idle entries only; none if there is no idle entry.
    Slot next_due() const;         // earliest next attempt
    Slot oldest() const;           // earliest arrival
    Slot oldest_unwarned() const;  // earliest arrival, not warned yet

    // Heap bytes held, and marks in the orders (live and stale): for tests
    // and the memory bench.
    std::size_t footprint() const;
    std::size_t marks() const { return by_next_.size() + unwarned_.size() + warned_.size(); }

  private:
    enum : std::uint8_t { live_flag = 1, in_flight_flag = 2, warned_flag = 4 };
    struct Entry {
        CompactId id;
        std::int64_t arrival = 0;  // Time's count
        std::int64_t next = 0;
        std::uint32_t stamp = 0;  // while free: the next free slot
        std::uint16_t attempts = 0;
        std::uint8_t flags = 0;
    };
    static_assert(sizeof(Entry) == 40);

    bool idle(const Entry& e) const {
        return (e.flags & (live_flag | in_flight_flag)) == live_flag;
    }
    // A mark is current if its entry is idle and got no newer marks since;
    // in the arrival orders, also on the right side of the warning.
    bool current(const Mark& m) const;
    bool current_unwarned(const Mark& m) const { return current(m) && !warned(m.slot); }
    bool current_warned(const Mark& m) const { return current(m) && warned(m.slot); }
    MarkHeap& arrival_order(Slot s) { return warned(s) ? warned_ : unwarned_; }

    // What the id index reads ids through.
    auto id_of() const {
        return [this](Slot s) { return slab_[s].id.view(); };
    }
    Slot allocate();
    void index(Slot s);  // idle now: a new stamp, into the orders
    void tidy();         // after every change: live tops, no heap mostly stale
    void restamp(bool by_arrival);
    void renumber(bool by_arrival);  // restamp's new stamps
    void rebuild();                  // the orders again from the slab, stamps as they are

    ChunkedVector<Entry> slab_;
    Slot free_ = none;
    SlotIndex ids_;
    MarkHeap by_next_;   // idle entries by next attempt
    MarkHeap unwarned_;  // idle entries not warned yet, by arrival
    MarkHeap warned_;    // idle entries warned, by arrival
    std::uint32_t next_stamp_ = 0;
    std::uint32_t stamp_limit_;
    std::size_t live_ = 0;
    std::size_t in_flight_ = 0;
};

}  // namespace holdfast::queue
