#pragma once
// The received message as the scanners read it: in memory (small) or in
// its spool body file (large), read chunk by chunk either way, so that no
// second whole copy of a large message is ever made.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "queue/spool.hpp"

namespace holdfast::scan {

// Octets sent to a scanner at once (and held per scanner while sending).
inline constexpr std::size_t kChunkSize = 64 * 1024;

class Source {
  public:
    Source(std::string_view memory, const queue::BodyFile* file) : memory_(memory), file_(file) {}
    std::uint64_t size() const { return file_ ? file_->size() : memory_.size(); }
    std::error_code read(std::uint64_t offset, std::size_t max, std::string& out) const {
        if (file_) return file_->read(offset, max, out);
        out.assign(memory_.substr(std::min<std::uint64_t>(offset, memory_.size()), max));
        return {};
    }

  private:
    std::string_view memory_;
    const queue::BodyFile* file_;
};

}  // namespace holdfast::scan
