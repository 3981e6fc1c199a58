#include "smtp/protocol/line_framer.hpp"

#include <cstring>

namespace holdfast::smtp {

LineFramer::LineFramer(std::size_t max_line) : max_line_(max_line < 3 ? 3 : max_line) {}

void LineFramer::feed(std::string_view bytes) {
    // Compact lazily: only when the consumed prefix is large, so that a
    // pipelined burst of many lines costs O(n), not O(n^2).
    if (pos_ > 0 && (pos_ == buf_.size() || pos_ > 65536)) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    // A session that received a large message goes back to holding a few
    // bytes; idle sessions must be cheap.
    if (buf_.empty() && buf_.capacity() > 65536) std::string().swap(buf_);
    buf_.append(bytes);
}

void LineFramer::discard_buffered() {
    buf_.clear();
    pos_ = 0;
    overflowing_ = false;
}

// Index of the end of the line starting at `from` (the LF of its CRLF, or of
// a bare LF in command mode), or npos.
std::size_t LineFramer::find_end(std::size_t from, bool& bare_lf) const {
    std::size_t i = from;
    for (;;) {
        const void* hit = std::memchr(buf_.data() + i, '\n', buf_.size() - i);
        if (!hit) return std::string::npos;
        i = static_cast<std::size_t>(static_cast<const char*>(hit) - buf_.data());
        if (i > from && buf_[i - 1] == '\r') {
            bare_lf = false;
            return i;
        }
        if (mode_ == Mode::command) {
            bare_lf = true;
            return i;
        }
        ++i;  // data mode: a bare LF is content, keep looking for CRLF
    }
}

std::optional<LineFramer::Line> LineFramer::next() {
    bool bare_lf = false;
    std::size_t end = find_end(pos_, bare_lf);
    std::size_t limit = pos_ + max_line_ - 1;  // index of the last allowed LF
    if (end == std::string::npos) {
        if (buf_.size() - pos_ < max_line_) return std::nullopt;
        // Over-long and still no end: drop it all, and drop up to its end
        // when that comes. A trailing CR is kept: it may pair with the next LF.
        bool keep_cr = buf_.back() == '\r';
        buf_.clear();
        pos_ = 0;
        if (keep_cr) buf_.push_back('\r');
        overflowing_ = true;
        return std::nullopt;
    }
    if (overflowing_ || end > limit) {
        overflowing_ = false;
        pos_ = end + 1;
        return Line{.text = {}, .too_long = true};
    }
    std::size_t text_end = bare_lf ? end : end - 1;
    std::string_view text(buf_.data() + pos_, text_end - pos_);
    pos_ = end + 1;
    Line line{.text = text, .bare_lf_ending = bare_lf};
    line.bare_cr_or_lf = text.find_first_of("\r\n") != std::string_view::npos;
    line.nul = text.find('\0') != std::string_view::npos;
    return line;
}

}  // namespace holdfast::smtp
