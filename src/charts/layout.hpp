#pragma once
// What both charts share: the frame (svg element, title, desc), the x range
// and the time axis. Private to charts/.
#include <string>
#include <vector>

#include "charts/svg.hpp"

namespace holdfast::charts::detail {

struct Range {
    TimePoint from, to;
};

// [from, to] as asked, else from the times given; never empty (a single
// moment gets an hour either side, no times at all the last day to now).
Range x_range(TimePoint from, TimePoint to, const std::vector<TimePoint>& times);

// Only [A-Za-z0-9_-]; "chart" when nothing is left.
std::string safe_id(const std::string& id);

// <svg ...><title/><desc/> (open: the caller appends and closes with "</svg>").
std::string open_svg(const std::string& id, int width, int height, const std::string& title,
                     const std::string& description);

// Vertical grid lines and labels under the plot area [left, right] x [top, bottom].
std::string time_axis(const Range& r, double left, double right, double top, double bottom);

// x coordinate of t in [left, right].
double x_of(const Range& r, TimePoint t, double left, double right);

}  // namespace holdfast::charts::detail
