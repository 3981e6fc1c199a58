#pragma once
// Durations as operators write them in the config: "30s", "5m", "4h", "7d".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::util {

// Parses a non-negative whole number followed by one unit (s, m, h, d).
// A bare number is refused: "300" is ambiguous to a reader.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The shortest exact spelling: 90 -> "90s", 300 -> "5m", 604800 -> "7d".
std::string format_duration(std::chrono::seconds d);

}  // namespace holdfast::util
