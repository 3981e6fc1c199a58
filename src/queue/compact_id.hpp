#pragma once
// A message id in 16 bytes, for the scheduler's entries (a million of them
// per destination in a backlog). Queue ids are 15 characters
// (mail/queue_id.hpp) and are kept in place, with their length in the last
// byte; any longer id (tests, or a future format) goes to the heap, so that
// every id still works, only less compactly.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace holdfast::queue {

class CompactId {
  public:
    static constexpr std::size_t inline_max = 15;

    CompactId() = default;
    explicit CompactId(std::string_view id) {
        if (id.size() <= inline_max) {
            std::memcpy(bytes_, id.data(), id.size());
            bytes_[inline_max] = static_cast<unsigned char>(id.size());
        } else {
            auto* s = new std::string(id);
            std::memcpy(bytes_, &s, sizeof s);
            bytes_[inline_max] = on_heap;
        }
    }
    CompactId(CompactId&& o) noexcept {
        std::memcpy(bytes_, o.bytes_, sizeof bytes_);
        o.bytes_[inline_max] = 0;
    }
    CompactId& operator=(CompactId&& o) noexcept {
        if (this != &o) {
            release();
            std::memcpy(bytes_, o.bytes_, sizeof bytes_);
            o.bytes_[inline_max] = 0;
        }
        return *this;
    }
    CompactId(const CompactId&) = delete;
    CompactId& operator=(const CompactId&) = delete;
    ~CompactId() { release(); }

    std::string_view view() const {
        if (bytes_[inline_max] != on_heap) {
            return {reinterpret_cast<const char*>(bytes_), bytes_[inline_max]};
        }
        return *heap();
    }

  private:
    static constexpr unsigned char on_heap = 0xFF;

    const std::string* heap() const {
        const std::string* s;
        std::memcpy(&s, bytes_, sizeof s);
        return s;
    }
    void release() {
        if (bytes_[inline_max] == on_heap) delete heap();
        bytes_[inline_max] = 0;
    }

    alignas(8) unsigned char bytes_[16] = {};
};
static_assert(sizeof(CompactId) == 16);

}  // namespace holdfast::queue
