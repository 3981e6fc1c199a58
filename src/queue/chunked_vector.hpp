#pragma once
// A growable array in fixed blocks: growing never copies what is there and
// never holds twice the memory (as a doubling std::vector does right after
// it grows), at the cost of one more indirection per access. The
// scheduler's entries and orders live in these: with a million entries a
// doubling vector would hold up to twice its size for nothing.
#include <cstddef>
#include <memory>
#include <vector>

namespace holdfast::queue {

template <class T, std::size_t BlockBits = 12>
class ChunkedVector {
  public:
    static constexpr std::size_t block_size = std::size_t{1} << BlockBits;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    T& operator[](std::size_t i) { return blocks_[i >> BlockBits][i & (block_size - 1)]; }
    const T& operator[](std::size_t i) const {
        return blocks_[i >> BlockBits][i & (block_size - 1)];
    }
    T& back() { return (*this)[size_ - 1]; }

    void push_back(T value) {
        if (size_ == blocks_.size() * block_size) {
            blocks_.push_back(std::make_unique<T[]>(block_size));
        }
        (*this)[size_++] = std::move(value);
    }

    // The last element is reset (it may own memory); a block is given back
    // once the one after it is empty too, so that a size going up and down
    // across a block boundary does not allocate every time.
    void pop_back() {
        (*this)[--size_] = T{};
        if (blocks_.size() >= 2 && size_ + 2 * block_size <= blocks_.size() * block_size) {
            blocks_.pop_back();
        }
    }

    // Keeps the first n elements (n <= size()), gives back the rest.
    void truncate(std::size_t n) {
        while (size_ > n) pop_back();
    }

    void clear() {
        blocks_.clear();
        blocks_.shrink_to_fit();
        size_ = 0;
    }

    // Heap bytes held (blocks and the block table), for tests and benches.
    std::size_t footprint() const {
        return blocks_.size() * block_size * sizeof(T) + blocks_.capacity() * sizeof(blocks_[0]);
    }

  private:
    std::vector<std::unique_ptr<T[]>> blocks_;
    std::size_t size_ = 0;
};

}  // namespace holdfast::queue
