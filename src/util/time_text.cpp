#include "util/time_text.hpp"

#include <ctime>

namespace holdfast::util {

std::string format_utc(std::chrono::system_clock::time_point t, const char* pattern) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
    return std::string(buf, n);
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
    return format_utc(t, "%Y-%m-%dT%H:%M:%SZ");
}

std::string human_utc(std::chrono::system_clock::time_point t) {
    if (t == std::chrono::system_clock::time_point{}) return "";
    return format_utc(t, "%Y-%m-%d %H:%M UTC");
}

}  // namespace holdfast::util
