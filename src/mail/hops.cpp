#include "mail/hops.hpp"

#include <algorithm>
#include <cctype>

namespace holdfast::mail {

namespace {

bool is_received(std::string_view line) {
    constexpr std::string_view kName = "received";
    if (line.size() < kName.size()) return false;
    bool same = std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
    });
    if (!same) return false;
    // RFC 5322 4.5.3 (obsolete syntax): white space may precede the colon.
    auto rest = line.substr(kName.size());
    auto colon = rest.find_first_not_of(" \t");
    return colon != std::string_view::npos && rest[colon] == ':';
}

}  // namespace

std::size_t count_received(std::string_view message) {
    std::size_t count = 0;
    while (!message.empty()) {
        auto end = message.find('\n');
        std::string_view line = message.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;  // end of the header section
        if (is_received(line)) ++count;
        if (end == std::string_view::npos) break;
        message.remove_prefix(end + 1);
    }
    return count;
}

}  // namespace holdfast::mail
