// The queue per backup domain over time: lines (and areas) on a time axis.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "charts/charts.hpp"
#include "charts/layout.hpp"

namespace holdfast::charts {
namespace {

using detail::Range;

constexpr int kWidth = 640, kHeight = 260;
constexpr double kLeft = 56, kRight = kWidth - 16, kTop = 48, kBottom = kHeight - 36;

// Colour-blind-safe (Okabe-Ito), dark enough on white.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000"};

bool usable(const Point& p, const Range& r) {
    return std::isfinite(p.value) && p.at >= r.from && p.at <= r.to;
}

std::string describe(const TimeChart& c, const Range& r) {
    std::string out = fmt::format("From {} to {}.", utc_minute(r.from), utc_minute(r.to));
    std::string unit = c.unit.empty() ? "" : " " + c.unit;
    bool any = false;
    for (const auto& s : c.series) {
        std::vector<const Point*> pts;
        for (const auto& p : s.points) {
            if (usable(p, r)) pts.push_back(&p);
        }
        if (pts.empty()) continue;
        any = true;
        auto latest = *std::max_element(pts.begin(), pts.end(),
                                        [](auto* a, auto* b) { return a->at < b->at; });
        auto highest = *std::max_element(pts.begin(), pts.end(),
                                         [](auto* a, auto* b) { return a->value < b->value; });
        out += fmt::format(" {}: {} samples, latest {}{}, highest {}{} at {}.", s.label, pts.size(),
                           number(latest->value), unit, number(highest->value), unit,
                           utc_minute(highest->at));
    }
    if (!any) out += " No data for this period.";
    return out;
}

std::string legend(const TimeChart& c) {
    std::string out;
    double x = kLeft;
    for (std::size_t i = 0; i < c.series.size(); ++i) {
        const char* colour = kPalette[i % std::size(kPalette)];
        std::string label = c.series[i].label;
        if (label.size() > 40)
            label = label.substr(0, 39) + "\xE2\x80\xA6";  // may cut UTF-8: escaped
        out += fmt::format(
            "<rect x=\"{0:.1f}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{1}\"/>"
            "<text x=\"{2:.1f}\" y=\"37\" fill=\"#222\">{3}</text>\n",
            x, colour, x + 14, escape_xml(label));
        x += 24 + 6.5 * static_cast<double>(std::min<std::size_t>(label.size(), 40));
        if (x > kRight - 40) break;  // the rest are in the description
    }
    return out;
}

}  // namespace

std::string time_series_svg(const TimeChart& c) {
    std::vector<TimePoint> times;
    double max = 0;
    for (const auto& s : c.series) {
        for (const auto& p : s.points) {
            if (!std::isfinite(p.value)) continue;
            times.push_back(p.at);
        }
    }
    Range r = detail::x_range(c.from, c.to, times);
    for (const auto& s : c.series) {
        for (const auto& p : s.points) {
            if (usable(p, r)) max = std::max(max, p.value);
        }
    }
    std::string id = detail::safe_id(c.id);
    std::string out = detail::open_svg(id, kWidth, kHeight, c.title,
                                       c.description.empty() ? describe(c, r) : c.description);
    out += legend(c);

    // y axis: from 0 to a round number at or above the highest value.
    double step = nice_step(max, 4);
    double top_value = std::max(step, std::ceil(max / step) * step);
    if (!std::isfinite(top_value)) top_value = max;
    auto y_of = [&](double v) {
        v = std::clamp(v, 0.0, top_value);
        return kBottom - (kBottom - kTop) * (v / top_value);  // divided first: no overflow
    };
    out += "<g class=\"y-axis\" fill=\"#555\" text-anchor=\"end\">\n";
    for (int k = 0; k <= 12; ++k) {  // a handful; the bound guards against rounding
        double v = k * step;
        if (v > top_value * (1 + 1e-9)) break;
        out += fmt::format(
            "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#e4e4e4\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\">{5}</text>\n",
            kLeft, y_of(v), kRight, kLeft - 6, y_of(v) + 4, number(v));
    }
    out += "</g>\n";
    out += detail::time_axis(r, kLeft, kRight, kTop, kBottom);

    bool drawn = false;
    for (std::size_t i = 0; i < c.series.size(); ++i) {
        const char* colour = kPalette[i % std::size(kPalette)];
        std::vector<Point> pts;
        for (const auto& p : c.series[i].points) {
            if (usable(p, r)) pts.push_back(p);
        }
        std::stable_sort(pts.begin(), pts.end(),
                         [](const Point& a, const Point& b) { return a.at < b.at; });
        if (pts.empty()) continue;
        drawn = true;
        out +=
            fmt::format("<g class=\"series\"><title>{}</title>\n", escape_xml(c.series[i].label));
        if (pts.size() == 1) {
            out +=
                fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"/>\n",
                            detail::x_of(r, pts[0].at, kLeft, kRight), y_of(pts[0].value), colour);
        } else {
            std::string line;
            for (const auto& p : pts) {
                line += fmt::format("{}{:.1f},{:.1f}", line.empty() ? "M" : " L",
                                    detail::x_of(r, p.at, kLeft, kRight), y_of(p.value));
            }
            if (c.area) {
                out += fmt::format(
                    "<path d=\"{} L{:.1f},{:.1f} L{:.1f},{:.1f} Z\" fill=\"{}\" "
                    "fill-opacity=\"0.15\" stroke=\"none\"/>\n",
                    line, detail::x_of(r, pts.back().at, kLeft, kRight), kBottom,
                    detail::x_of(r, pts.front().at, kLeft, kRight), kBottom, colour);
            }
            out += fmt::format(
                "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
                "stroke-linejoin=\"round\"/>\n",
                line, colour);
        }
        out += "</g>\n";
    }
    if (!drawn) {
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#777\" "
            "font-size=\"13\">No data for this period</text>\n",
            (kLeft + kRight) / 2, (kTop + kBottom) / 2);
    }
    return out + "</svg>\n";
}

}  // namespace holdfast::charts
