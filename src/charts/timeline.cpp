// A customer's relay tests over time: one row per tested address, a dot
// per test, coloured and shaped by verdict so that colour is not the only
// sign (open: a large red diamond with a ring; closed: a green dot;
// inconclusive: a grey ring; anything else: a blue square).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "charts/charts.hpp"
#include "charts/layout.hpp"

namespace holdfast::charts {
namespace {

using detail::Range;

constexpr int kWidth = 640;
constexpr double kLeft = 150, kRight = kWidth - 16, kTop = 52, kRow = 28, kAxis = 36;
constexpr std::size_t kMaxRows = 40;  // past that, a note says how many were left out

struct Style {
    const char* colour;
    const char* word;
};

Style style_of(const std::string& verdict) {
    if (verdict == "open") return {"#C62828", "open"};
    if (verdict == "closed") return {"#2E7D32", "closed"};
    if (verdict == "inconclusive") return {"#757575", "inconclusive"};
    return {"#1565C0", "unknown"};
}

std::string mark(const std::string& verdict, double x, double y) {
    Style s = style_of(verdict);
    if (verdict == "open") {
        return fmt::format(
            "<circle cx=\"{0:.1f}\" cy=\"{1:.1f}\" r=\"10\" fill=\"none\" stroke=\"{2}\" "
            "stroke-width=\"1.5\"/><path d=\"M{0:.1f},{3:.1f} L{4:.1f},{1:.1f} L{0:.1f},{5:.1f} "
            "L{6:.1f},{1:.1f} Z\" fill=\"{2}\"/>",
            x, y, s.colour, y - 7, x + 7, y + 7, x - 7);
    }
    if (verdict == "closed") {
        return fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>", x, y,
                           s.colour);
    }
    if (verdict == "inconclusive") {
        return fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"#fff\" stroke=\"{}\" "
            "stroke-width=\"2\"/>",
            x, y, s.colour);
    }
    return fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"8\" height=\"8\" fill=\"{}\"/>",
                       x - 4, y - 4, s.colour);
}

std::string describe(const Timeline& t, const Range& r, const std::vector<std::string>& rows) {
    std::map<std::string, int> counts;
    for (const auto& e : t.events) {
        if (e.at >= r.from && e.at <= r.to) ++counts[style_of(e.verdict).word];
    }
    if (counts.empty())
        return fmt::format("No relay tests from {} to {}.", utc_minute(r.from), utc_minute(r.to));
    std::string out =
        fmt::format("Relay tests of {} address{} from {} to {}:", rows.size(),
                    rows.size() == 1 ? "" : "es", utc_minute(r.from), utc_minute(r.to));
    bool first = true;
    for (const char* word : {"open", "closed", "inconclusive", "unknown"}) {
        if (!counts.count(word)) continue;
        out += fmt::format("{} {} {}", first ? "" : ",", counts[word], word);
        first = false;
    }
    return out + ".";
}

std::string legend() {
    std::string out;
    double x = kLeft;
    for (const char* v : {"open", "closed", "inconclusive"}) {
        out += mark(v, x + 6, 33);
        out += fmt::format("<text x=\"{:.1f}\" y=\"37\" fill=\"#222\">{}</text>\n", x + 20, v);
        x += 110;
    }
    return out;
}

}  // namespace

std::string timeline_svg(const Timeline& t) {
    std::vector<TimePoint> times;
    for (const auto& e : t.events) times.push_back(e.at);
    Range r = detail::x_range(t.from, t.to, times);

    // Rows in order of first appearance in time.
    std::vector<Event> events;
    for (const auto& e : t.events) {
        if (e.at >= r.from && e.at <= r.to) events.push_back(e);
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.at < b.at; });
    std::vector<std::string> rows;
    std::map<std::string, std::size_t> row_of;
    for (const auto& e : events) {
        if (!row_of.count(e.row)) {
            row_of[e.row] = rows.size();
            rows.push_back(e.row);
        }
    }
    std::size_t shown = std::min(rows.size(), kMaxRows);
    double bottom = kTop + kRow * static_cast<double>(std::max<std::size_t>(shown, 1));
    int height = static_cast<int>(bottom + kAxis + (rows.size() > shown ? 16 : 0));

    std::string id = detail::safe_id(t.id);
    std::string out = detail::open_svg(
        id, kWidth, height, t.title, t.description.empty() ? describe(t, r, rows) : t.description);
    out += legend();
    out += detail::time_axis(r, kLeft, kRight, kTop, bottom);
    out += "<g class=\"rows\" fill=\"#222\" text-anchor=\"end\">\n";
    for (std::size_t i = 0; i < shown; ++i) {
        double y = kTop + kRow * (static_cast<double>(i) + 0.5);
        std::string label = rows[i].size() > 24 ? rows[i].substr(0, 23) + "\xE2\x80\xA6" : rows[i];
        out += fmt::format(
            "<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\">{5}</text>\n",
            kLeft, y, kRight, kLeft - 8, y + 4, escape_xml(label));
    }
    out += "</g>\n";
    for (const auto& e : events) {
        std::size_t row = row_of[e.row];
        if (row >= shown) continue;
        double x = detail::x_of(r, e.at, kLeft, kRight);
        double y = kTop + kRow * (static_cast<double>(row) + 0.5);
        std::string tip =
            fmt::format("{} {}: {}", utc_minute(e.at), e.row, style_of(e.verdict).word);
        if (!e.note.empty()) tip += " (" + e.note + ")";
        out += fmt::format("<g class=\"test {}\"><title>{}</title>{}</g>\n",
                           style_of(e.verdict).word, escape_xml(tip), mark(e.verdict, x, y));
    }
    if (rows.size() > shown) {
        out += fmt::format(
            "<text x=\"{}\" y=\"{}\" fill=\"#777\">{} more addresses not shown"
            "</text>\n",
            kLeft, height - 6, rows.size() - shown);
    }
    if (events.empty()) {
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#777\" "
            "font-size=\"13\">No relay tests yet</text>\n",
            (kLeft + kRight) / 2, kTop + kRow / 2 + 4);
    }
    return out + "</svg>\n";
}

}  // namespace holdfast::charts
