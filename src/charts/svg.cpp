#include "charts/svg.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "util/markup.hpp"
#include "util/time_text.hpp"

namespace holdfast::charts {

namespace {

// Length of the UTF-8 sequence starting at s[i] when it is valid and
// allowed in XML 1.0, else 0.
std::size_t valid_char(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    unsigned char c = b(0);
    if (c < 0x80) return (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') ? 1 : 0;
    std::size_t n;
    char32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    // Overlong forms, surrogates, beyond U+10FFFF, and XML's U+FFFE/U+FFFF.
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF) return 0;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return 0;
    return n;
}

}  // namespace

std::string escape_xml(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = valid_char(text, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++i;
            continue;
        }
        if (n == 1) {
            util::append_markup_escaped(out, text[i]);
        } else {
            out.append(text.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::string number(double v) {
    if (!std::isfinite(v)) return "0";
    if (std::fabs(v) >= 1e6) return fmt::format("{:.3g}", v);  // 1.5e+07, not 15000000.00
    std::string s = fmt::format("{:.2f}", v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

double nice_step(double max, int max_ticks) {
    if (!(max > 0) || !std::isfinite(max)) return 1;
    if (max_ticks < 1) max_ticks = 1;
    double raw = max / max_ticks;
    double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        double step = m * magnitude;
        if (step >= raw) return std::isfinite(step) && step > 0 ? step : raw;
    }
    return raw;
}

std::vector<TimeTick> time_ticks(TimePoint from, TimePoint to, int max_ticks) {
    using namespace std::chrono;
    std::vector<TimeTick> out;
    if (to <= from || max_ticks < 1) return out;
    const hours steps[] = {hours(1),  hours(2),  hours(3),      hours(6),       hours(12),
                           hours(24), hours(48), hours(24 * 7), hours(24 * 14), hours(24 * 28)};
    hours step = steps[std::size(steps) - 1];
    for (hours s : steps) {
        if ((to - from) / s < max_ticks) {
            step = s;
            break;
        }
    }
    // A span longer than the largest step allows: widen it to fit.
    while ((to - from) / step >= max_ticks) step *= 2;
    auto first = ceil<hours>(from);
    if (step >= hours(24)) first = ceil<days>(from);
    const bool days_only = step >= hours(24);
    const bool one_day = floor<days>(from) == floor<days>(to);
    for (auto t = first; t <= to; t += step) {
        const char* pattern = days_only ? "%b %d" : one_day ? "%H:%M" : "%b %d %H:%M";
        out.push_back({t, util::format_utc(t, pattern)});
    }
    return out;
}

std::string utc_minute(TimePoint t) {
    return util::format_utc(t, "%Y-%m-%d %H:%M UTC");
}

}  // namespace holdfast::charts
