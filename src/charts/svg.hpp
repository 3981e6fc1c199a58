#pragma once
// SVG building blocks shared by the charts: text made safe for XML, numbers
// in a short fixed form, and time axis ticks. Pure functions.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::charts {

using TimePoint = std::chrono::system_clock::time_point;

// Text for XML character data or an attribute value: &, <, >, " and '
// escaped; bytes that are not valid UTF-8, and characters XML 1.0 forbids
// (C0 controls but tab, LF and CR), become U+FFFD. Untrusted text (domain
// names, customer names, reasons) always goes through here.
std::string escape_xml(std::string_view text);

// "12.5", "3", "-0.25": at most two decimals, no trailing zeros.
std::string number(double v);

// A rounded step that gives at most `max_ticks` ticks from 0 to `max`
// (1, 2 or 5 times a power of ten); the axis then ends at a multiple of it.
double nice_step(double max, int max_ticks);

struct TimeTick {
    TimePoint at;
    std::string label;  // UTC: "Nov 30" for day steps, "Nov 30 06:00" / "06:00" finer
};
// Ticks on whole hours or days between from and to (at most max_ticks).
std::vector<TimeTick> time_ticks(TimePoint from, TimePoint to, int max_ticks);

// "2026-11-30 06:00 UTC", for titles and descriptions.
std::string utc_minute(TimePoint t);

}  // namespace holdfast::charts
