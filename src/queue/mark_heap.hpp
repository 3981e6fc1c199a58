#pragma once
// A binary min-heap of marks: (time, stamp) -> slot, in blocks
// (chunked_vector.hpp). The scheduler's orders (by next attempt, by
// arrival) are these, with lazy deletion: an entry that leaves an order
// leaves its mark behind, and the owner (backlog.hpp) skips marks whose
// stamp is no longer the entry's, and rebuilds a heap that holds more stale
// marks than live ones. 16 bytes per mark, no node, no erase by key.
#include <cstddef>
#include <cstdint>
#include <utility>

#include "queue/chunked_vector.hpp"

namespace holdfast::queue {

struct Mark {
    std::int64_t at;      // the time this order sorts by (Time's count)
    std::uint32_t slot;   // the entry
    std::uint32_t stamp;  // the entry's stamp when marked; breaks ties (older first)

    bool operator<(const Mark& o) const { return at != o.at ? at < o.at : stamp < o.stamp; }
};
static_assert(sizeof(Mark) == 16);

class MarkHeap {
  public:
    std::size_t size() const { return marks_.size(); }
    bool empty() const { return marks_.empty(); }
    const Mark& top() const { return marks_[0]; }

    void push(Mark m) {
        marks_.push_back(m);
        sift_up(marks_.size() - 1);
    }

    void pop() {
        marks_[0] = marks_.back();
        marks_.pop_back();
        if (!marks_.empty()) sift_down(0);
    }

    // Keeps the marks `keep` says yes to, in heap order again: O(size).
    template <class Keep>
    void retain_if(Keep&& keep) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < marks_.size(); ++i) {
            if (keep(marks_[i])) marks_[n++] = marks_[i];
        }
        marks_.truncate(n);
        heapify();
    }

    void clear() { marks_.clear(); }
    // Appends without ordering; heapify() after the last one.
    void append(Mark m) { marks_.push_back(m); }
    void heapify() {
        for (std::size_t i = marks_.size() / 2; i-- > 0;) sift_down(i);
    }

    std::size_t footprint() const { return marks_.footprint(); }

  private:
    void sift_up(std::size_t i) {
        Mark m = marks_[i];
        while (i > 0) {
            std::size_t parent = (i - 1) / 2;
            if (!(m < marks_[parent])) break;
            marks_[i] = marks_[parent];
            i = parent;
        }
        marks_[i] = m;
    }

    void sift_down(std::size_t i) {
        Mark m = marks_[i];
        const std::size_t n = marks_.size();
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && marks_[child + 1] < marks_[child]) ++child;
            if (!(marks_[child] < m)) break;
            marks_[i] = marks_[child];
            i = child;
        }
        marks_[i] = m;
    }

    ChunkedVector<Mark> marks_;
};

}  // namespace holdfast::queue
