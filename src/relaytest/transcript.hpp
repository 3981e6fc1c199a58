#pragma once
// The SMTP conversation, both directions, time-stamped: what abuse.net
// showed its users, so that a verdict can be checked by reading.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::relaytest {

enum class Direction { client, server, note };

struct TranscriptLine {
    double seconds = 0;  // since the test started
    int session = 0;     // 1, 2, ...: one per connection
    Direction direction = Direction::note;
    std::string text;  // one line, without CRLF, made printable
};

class Transcript {
  public:
    using Clock = std::chrono::steady_clock;
    explicit Transcript(Clock::time_point start = Clock::now()) : start_(start) {}

    // Adds one entry per line of text (a multi-line reply becomes several).
    void add(int session, Direction d, std::string_view text);
    const std::vector<TranscriptLine>& lines() const { return lines_; }
    double elapsed() const;

  private:
    Clock::time_point start_;
    std::vector<TranscriptLine> lines_;
};

// "C", "S", "*"
std::string_view direction_mark(Direction d);
// "[  0.012] #1 S: 220 mx.example.org ESMTP"
std::string format_line(const TranscriptLine& line);

}  // namespace holdfast::relaytest
