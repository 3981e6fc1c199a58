#pragma once
// Pictures for the admin pages, drawn by the server as SVG text (no
// script): the backup queue per domain over the last days, and a
// customer's relay-test history. Pure functions: data in, a complete
// <svg> element out, safe to embed in HTML or serve as image/svg+xml.
//
// Every picture has a fixed viewBox and width="100%" (it scales down on a
// phone), a <title> and a <desc> that say in words what it shows (for
// screen readers, and as the text when images are off), and escapes all
// text it is given. Times are shown in UTC.
#include <string>
#include <vector>

#include "charts/svg.hpp"

namespace holdfast::charts {

struct Point {
    TimePoint at;
    double value = 0;
};

struct Series {
    std::string label;  // e.g. the domain
    std::vector<Point> points;
};

struct TimeChart {
    std::string id;           // unique on the page: [A-Za-z0-9_-], others dropped
    std::string title;        // "Backup queue, last 7 days"
    std::string description;  // "" = one written from the data
    std::string unit;         // "messages": after the numbers in the description
    TimePoint from{}, to{};   // the x range; to <= from = the data's own range
    bool area = true;         // fill under each line
    std::vector<Series> series;
};

// A line (and area) per series on one time axis, y from 0. No data: the
// axes and "No data for this period". One point: a dot.
std::string time_series_svg(const TimeChart& chart);

struct Event {
    TimePoint at;
    std::string row;      // which line it sits on: the tested address "ip:port"
    std::string verdict;  // open | closed | inconclusive (others drawn as unknown)
    std::string note;     // shown in the dot's tooltip, e.g. the reason
};

struct Timeline {
    std::string id;
    std::string title;
    std::string description;  // "" = one written from the data
    TimePoint from{}, to{};   // to <= from = the events' own range
    std::vector<Event> events;
};

// One row per distinct `row`, dots coloured and shaped by verdict; open
// ones stand out (red, larger, ringed). No events: "No relay tests yet".
std::string timeline_svg(const Timeline& timeline);

}  // namespace holdfast::charts
