#include "charts/charts.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "charts/xml_check.hpp"

namespace holdfast::charts {
namespace {

using namespace std::chrono_literals;
const TimePoint t0 = TimePoint(std::chrono::seconds(1'800'000'000));  // 2027-01-15 08:00 UTC

std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
}

// A real XML parser (Python's, a test dependency) agrees it is well-formed.
void expect_python_parses(const std::string& svg) {
    if (std::system("test -x /usr/bin/python3") != 0) GTEST_SKIP() << "no /usr/bin/python3";
    auto path = std::filesystem::temp_directory_path() /
                ("holdfast-chart-" + std::to_string(getpid()) + ".svg");
    std::ofstream(path) << svg;
    std::string cmd =
        "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1])"
        ".getroot(); assert r.tag == '{http://www.w3.org/2000/svg}svg', r.tag\" " +
        path.string();
    EXPECT_EQ(std::system(cmd.c_str()), 0) << svg;
    std::filesystem::remove(path);
}

TEST(Svg, EscapesMarkupAndReplacesWhatXmlForbids) {
    EXPECT_EQ(escape_xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    EXPECT_EQ(escape_xml("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // kept
    EXPECT_EQ(escape_xml(std::string("a\0b", 3)),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(escape_xml("\x01\x1F"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(escape_xml("tab\tnl\n"), "tab\tnl\n");
    EXPECT_EQ(escape_xml("\xC3"), "\xEF\xBF\xBD");                                  // truncated
    EXPECT_EQ(escape_xml("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
    EXPECT_EQ(escape_xml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(escape_xml("\xEF\xBF\xBE"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFE
    EXPECT_EQ(testing::check_text(escape_xml("\xFF<&\x80")), "");
}

TEST(Svg, NumbersAndSteps) {
    EXPECT_EQ(number(3), "3");
    EXPECT_EQ(number(2.5), "2.5");
    EXPECT_EQ(number(0.126), "0.13");
    EXPECT_EQ(number(15000000), "1.5e+07");
    EXPECT_EQ(number(-0.001), "0");
    EXPECT_EQ(number(1.0 / 0.0), "0");
    EXPECT_EQ(nice_step(3, 4), 1);
    EXPECT_EQ(nice_step(100, 4), 50);
    EXPECT_EQ(nice_step(7, 4), 2);
    EXPECT_EQ(nice_step(0, 4), 1);
    EXPECT_GT(nice_step(1e-320, 4), 0);
}

TEST(Svg, TimeTicksOnWholeDaysOrHours) {
    auto week = time_ticks(t0 - 7 * 24h, t0, 6);
    ASSERT_FALSE(week.empty());
    EXPECT_LE(week.size(), 6u);
    EXPECT_EQ(week[0].label.size(), 6u) << week[0].label;  // "Jan 09"
    for (std::size_t i = 1; i < week.size(); ++i) EXPECT_GT(week[i].at, week[i - 1].at);
    auto hours = time_ticks(t0, t0 + 5h, 6);
    ASSERT_EQ(hours.size(), 6u);
    EXPECT_EQ(hours[0].label, "08:00");
    EXPECT_TRUE(time_ticks(t0, t0, 6).empty());
    EXPECT_LE(time_ticks(t0 - 24h * 3650, t0, 6).size(), 6u);  // ten years still fits
}

TimeChart queue_chart() {
    TimeChart c;
    c.id = "queue";
    c.title = "Backup queue <last 7 days>";
    c.unit = "messages";
    c.from = t0 - 7 * 24h;
    c.to = t0;
    Series a{"customer.test", {}};
    for (int h = 0; h <= 7 * 24; h += 6)
        a.points.push_back({c.from + std::chrono::hours(h), h % 48 / 6.0});
    Series b{"evil\"<script>alert(1)</script>&.test", {{t0 - 24h, 5}, {t0 - 12h, 9}}};
    c.series = {a, b};
    return c;
}

TEST(TimeSeries, WellFormedScalableAndAccessible) {
    std::string svg = time_series_svg(queue_chart());
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_TRUE(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 260\""));
    EXPECT_NE(svg.find("width=\"100%\""), std::string::npos);
    EXPECT_NE(svg.find("<title id=\"queue-title\">Backup queue &lt;last 7 days&gt;</title>"),
              std::string::npos);
    EXPECT_NE(
        svg.find("<desc id=\"queue-desc\">From 2027-01-08 08:00 UTC to 2027-01-15 08:00 UTC."),
        std::string::npos);
    EXPECT_NE(svg.find("highest 9 messages at 2027-01-14 20:00 UTC"), std::string::npos);
    EXPECT_EQ(svg.find("<script"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
    EXPECT_EQ(count(svg, "<path d=\"M"), 4u);          // a line and an area per series
    EXPECT_NE(svg.find("Jan 09"), std::string::npos);  // a day tick
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    expect_python_parses(svg);
}

TEST(TimeSeries, EmptyAndSinglePoint) {
    TimeChart empty;
    empty.title = "Nothing";
    std::string svg = time_series_svg(empty);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_NE(svg.find("No data for this period"), std::string::npos);
    EXPECT_NE(svg.find("id=\"chart-title\""), std::string::npos);

    TimeChart one;
    one.id = "o n<e>";  // only the safe characters are kept
    one.series = {{"customer.test", {{t0, 4}}}};
    svg = time_series_svg(one);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_NE(svg.find("id=\"one-title\""), std::string::npos);
    EXPECT_EQ(count(svg, "<circle"), 1u);
    EXPECT_EQ(count(svg, "<path"), 0u);
    EXPECT_EQ(svg.find("No data"), std::string::npos);
    expect_python_parses(svg);
}

TEST(TimeSeries, OddValuesStayInsideThePicture) {
    TimeChart c;
    c.series = {{"x", {{t0, -5}, {t0 + 1h, std::nan("")}, {t0 + 2h, 1e308}, {t0 + 3h, 1.0 / 0.0}}}};
    std::string svg = time_series_svg(c);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(Timeline, DotsByVerdictWithOpenOnesMarked) {
    Timeline t;
    t.id = "acme";
    t.title = "Relay tests of acme";
    t.events = {{t0 - 48h, "127.0.0.6:25", "closed", ""},
                {t0 - 24h, "127.0.0.5:25", "open", "relayed to <x@y>"},
                {t0 - 12h, "127.0.0.6:25", "inconclusive", "timeout"},
                {t0, "127.0.0.5:25", "closed", ""},
                {t0 - 1h, "[2001:db8::1]:25", "weird", ""}};
    std::string svg = timeline_svg(t);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_EQ(count(svg, "<g class=\"test open\">"), 1u);
    EXPECT_EQ(count(svg, "<g class=\"test closed\">"), 2u);
    EXPECT_EQ(count(svg, "<g class=\"test inconclusive\">"), 1u);
    EXPECT_EQ(count(svg, "<g class=\"test unknown\">"), 1u);
    EXPECT_NE(svg.find("127.0.0.5:25: open (relayed to &lt;x@y&gt;)"), std::string::npos);
    EXPECT_NE(svg.find("#C62828"), std::string::npos);
    EXPECT_NE(svg.find("Relay tests of 3 addresses"), std::string::npos);
    EXPECT_NE(svg.find("1 open, 2 closed, 1 inconclusive, 1 unknown."), std::string::npos);
    // Rows: first the address tested first.
    EXPECT_LT(svg.find(">127.0.0.6:25</text>"), svg.find(">127.0.0.5:25</text>"));
    expect_python_parses(svg);
}

TEST(Timeline, EmptyAndManyRows) {
    Timeline none;
    std::string svg = timeline_svg(none);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_NE(svg.find("No relay tests yet"), std::string::npos);

    Timeline many;
    for (int i = 0; i < 50; ++i) {
        many.events.push_back(
            {t0 + std::chrono::minutes(i), "10.0.0." + std::to_string(i) + ":25", "closed", ""});
    }
    svg = timeline_svg(many);
    EXPECT_EQ(testing::well_formed(svg), "") << svg;
    EXPECT_NE(svg.find("10 more addresses not shown"), std::string::npos);
    EXPECT_EQ(count(svg, "<g class=\"test closed\">"), 40u);
}

TEST(XmlCheck, CatchesWhatIsNotWellFormed) {
    EXPECT_EQ(testing::well_formed("<svg><g/></svg>"), "");
    EXPECT_NE(testing::well_formed("<svg><g></svg>"), "");
    EXPECT_NE(testing::well_formed("<svg>a<b</svg>"), "");
    EXPECT_NE(testing::well_formed("<svg>a & b</svg>"), "");
    EXPECT_NE(testing::well_formed("<svg x=\"<\"/>"), "");
    EXPECT_NE(testing::well_formed("<svg x=1/>"), "");
    EXPECT_NE(testing::well_formed("<svg/><svg/>"), "");
    EXPECT_NE(testing::well_formed("<svg>\x01</svg>"), "");
    EXPECT_NE(testing::well_formed("<svg>\xC3</svg>"), "");
}

}  // namespace
}  // namespace holdfast::charts
