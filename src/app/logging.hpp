#pragma once
#include <string>

namespace holdfast::app {
// One line per event on stderr, journald-friendly: level, then key=value pairs.
void setup_logging(const std::string& level);
}  // namespace holdfast::app
