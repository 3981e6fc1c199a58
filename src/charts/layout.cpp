#include "charts/layout.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace holdfast::charts::detail {

Range x_range(TimePoint from, TimePoint to, const std::vector<TimePoint>& times) {
    if (to > from) return {from, to};
    if (times.empty()) {
        auto now =
            std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        return {now - std::chrono::hours(24), now};
    }
    auto [lo, hi] = std::minmax_element(times.begin(), times.end());
    if (*hi > *lo) return {*lo, *hi};
    return {*lo - std::chrono::hours(1), *lo + std::chrono::hours(1)};
}

std::string safe_id(const std::string& id) {
    std::string out;
    for (char c : id) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-')
            out += c;
    }
    return out.empty() ? "chart" : out;
}

std::string open_svg(const std::string& id, int width, int height, const std::string& title,
                     const std::string& description) {
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" "
        "preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"{id}-title "
        "{id}-desc\" font-family=\"sans-serif\" font-size=\"11\">\n"
        "<title id=\"{id}-title\">{title}</title>\n<desc id=\"{id}-desc\">{desc}</desc>\n"
        "<text x=\"8\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#222\">{title}"
        "</text>\n",
        fmt::arg("w", width), fmt::arg("h", height), fmt::arg("id", id),
        fmt::arg("title", escape_xml(title)), fmt::arg("desc", escape_xml(description)));
}

double x_of(const Range& r, TimePoint t, double left, double right) {
    double span = std::chrono::duration<double>(r.to - r.from).count();
    double at = std::chrono::duration<double>(t - r.from).count();
    return left + (right - left) * (span > 0 ? at / span : 0.5);
}

std::string time_axis(const Range& r, double left, double right, double top, double bottom) {
    std::string out = "<g class=\"x-axis\" fill=\"#555\" text-anchor=\"middle\">\n";
    out += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#888\"/>\n",
                       left, right, bottom);
    for (const auto& tick : time_ticks(r.from, r.to, 6)) {
        double x = x_of(r, tick.at, left, right);
        out += fmt::format(
            "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e4e4e4\"/>"
            "<text x=\"{0:.1f}\" y=\"{3}\">{4}</text>\n",
            x, top, bottom, bottom + 16, escape_xml(tick.label));
    }
    return out + "</g>\n";
}

}  // namespace holdfast::charts::detail
