#include "relaytest/transcript.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace holdfast::relaytest {

void Transcript::add(int session, Direction d, std::string_view text) {
    double t = elapsed();
    for (std::string_view line : util::split(text, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() && d == Direction::server) continue;  // the split after the last CRLF
        lines_.push_back({t, session, d, util::printable(line, 1000)});
    }
}

double Transcript::elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
}

std::string_view direction_mark(Direction d) {
    switch (d) {
        case Direction::client:
            return "C";
        case Direction::server:
            return "S";
        case Direction::note:
            return "*";
    }
    return "?";
}

std::string format_line(const TranscriptLine& line) {
    return fmt::format("[{:8.3f}] #{} {}: {}", line.seconds, line.session,
                       direction_mark(line.direction), line.text);
}

}  // namespace holdfast::relaytest
