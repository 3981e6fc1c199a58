#pragma once
// id -> slot for the scheduler's entries: an open-addressing hash table
// (linear probing) of 4-byte slot numbers, 8-16 bytes per id instead of a
// node per id. The ids themselves stay in the entries: every call gets
// `id_of(slot)` to read them, which also keeps the table free of copies.
//
// Deletion shifts the following run back (no tombstones), so lookups stay
// short however many ids come and go.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace holdfast::queue {

class SlotIndex {
  public:
    using Slot = std::uint32_t;
    static constexpr Slot none = UINT32_MAX;

    std::size_t size() const { return size_; }

    template <class IdOf>
    Slot find(std::string_view id, IdOf&& id_of) const {
        if (size_ == 0) return none;
        for (std::size_t b = home(id);; b = (b + 1) & mask()) {
            if (buckets_[b] == empty) return none;
            if (id_of(buckets_[b] - 1) == id) return buckets_[b] - 1;
        }
    }

    // `id` must not be in the table yet.
    template <class IdOf>
    void insert(std::string_view id, Slot slot, IdOf&& id_of) {
        // At most half full: short probe sequences, each of which reads an entry.
        if (2 * (size_ + 1) > buckets_.size()) grow(id_of);
        place(id, slot);
        ++size_;
    }

    template <class IdOf>
    void erase(std::string_view id, IdOf&& id_of) {
        if (size_ == 0) return;
        std::size_t hole = home(id);
        for (;; hole = (hole + 1) & mask()) {
            if (buckets_[hole] == empty) return;
            if (id_of(buckets_[hole] - 1) == id) break;
        }
        // Pull back every later member of the run that may sit in the hole
        // (its home is not cyclically inside (hole, b]).
        for (std::size_t b = (hole + 1) & mask(); buckets_[b] != empty; b = (b + 1) & mask()) {
            std::size_t h = home(id_of(buckets_[b] - 1));
            bool stays = hole < b ? (hole < h && h <= b) : (hole < h || h <= b);
            if (stays) continue;
            buckets_[hole] = buckets_[b];
            hole = b;
        }
        buckets_[hole] = empty;
        --size_;
    }

    void clear() {
        buckets_.clear();
        buckets_.shrink_to_fit();
        size_ = 0;
    }

    std::size_t footprint() const { return buckets_.capacity() * sizeof(Slot); }

  private:
    static constexpr Slot empty = 0;  // buckets hold slot + 1

    std::size_t mask() const { return buckets_.size() - 1; }
    std::size_t home(std::string_view id) const { return std::hash<std::string_view>{}(id)&mask(); }

    void place(std::string_view id, Slot slot) {
        std::size_t b = home(id);
        while (buckets_[b] != empty) b = (b + 1) & mask();
        buckets_[b] = slot + 1;
    }

    template <class IdOf>
    void grow(IdOf& id_of) {
        std::vector<Slot> old(std::max<std::size_t>(16, 2 * buckets_.size()), empty);
        old.swap(buckets_);
        for (Slot s : old) {
            if (s != empty) place(id_of(s - 1), s - 1);
        }
    }

    std::vector<Slot> buckets_;  // a power of two long, or empty
    std::size_t size_ = 0;
};

}  // namespace holdfast::queue
