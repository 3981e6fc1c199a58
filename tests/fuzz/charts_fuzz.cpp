// Any bytes as the text and numbers of the admin pages' pictures (domain
// names, customer names, addresses and reasons come from customers and
// from DNS): the SVG must stay well-formed XML whatever they hold, and the
// drawing must not crash or loop on odd numbers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "charts/charts.hpp"
#include "charts/xml_check.hpp"

using namespace holdfast::charts;

namespace {

// Fields separated by '\n'; each field's first 8 bytes (when there are
// that many) also serve as a double and a time offset.
std::vector<std::string_view> fields(std::string_view in) {
    std::vector<std::string_view> out;
    while (!in.empty() && out.size() < 64) {
        auto nl = in.find('\n');
        out.push_back(in.substr(0, nl));
        if (nl == std::string_view::npos) break;
        in.remove_prefix(nl + 1);
    }
    return out;
}

double as_double(std::string_view f) {
    double d = 0;
    if (f.size() >= sizeof d) std::memcpy(&d, f.data(), sizeof d);
    return d;
}

TimePoint as_time(std::string_view f, std::size_t i) {
    std::int64_t s = 1'800'000'000 + static_cast<std::int64_t>(i) * 3600;
    if (f.size() >= 4) {
        std::int32_t v;
        std::memcpy(&v, f.data(), sizeof v);
        s += v;
    }
    return TimePoint(std::chrono::seconds(s));
}

void check(const std::string& svg) {
    if (!testing::well_formed(svg).empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto f = fields(in);
    if (f.empty()) return 0;

    TimeChart c;
    c.id = std::string(f[0]);
    c.title = std::string(f[0]);
    c.unit = f.size() > 1 ? std::string(f[1]) : "";
    if (!f[0].empty() && (f[0][0] & 1)) {
        c.from = as_time(f[0], 0);
        c.to = as_time(f.back(), f.size());
    }
    for (std::size_t i = 1; i < f.size(); ++i) {
        if (i % 4 == 1) c.series.push_back({std::string(f[i]), {}});
        c.series.back().points.push_back({as_time(f[i], i), as_double(f[i])});
    }
    check(time_series_svg(c));

    Timeline t;
    t.id = c.id;
    t.title = c.title;
    static const char* verdicts[] = {"open", "closed", "inconclusive"};
    for (std::size_t i = 1; i < f.size(); ++i) {
        unsigned pick = f[i].empty() ? 3 : static_cast<unsigned char>(f[i][0]) % 4;
        std::string verdict = pick == 3 ? std::string(f[i]) : verdicts[pick];
        t.events.push_back({as_time(f[i], i), std::string(f[i]), verdict, std::string(f[i - 1])});
    }
    check(timeline_svg(t));
    return 0;
}
