#include "smtp/client/capabilities.hpp"

#include <charconv>

#include "util/strings.hpp"

namespace holdfast::smtp::client {

Capabilities parse_capabilities(const Reply& reply) {
    Capabilities caps;
    caps.esmtp = reply.positive();
    // The first line is the server's greeting, not a keyword.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = util::trim(reply.lines[i]);
        std::string_view keyword = line.substr(0, line.find(' '));
        std::string_view param;
        if (keyword.size() < line.size()) param = util::trim(line.substr(keyword.size()));
        if (util::iequals(keyword, "PIPELINING")) {
            caps.pipelining = true;
        } else if (util::iequals(keyword, "STARTTLS")) {
            caps.starttls = true;
        } else if (util::iequals(keyword, "8BITMIME")) {
            caps.eight_bit_mime = true;
        } else if (util::iequals(keyword, "SMTPUTF8")) {
            caps.smtputf8 = true;
        } else if (util::iequals(keyword, "DSN")) {
            caps.dsn = true;
        } else if (util::iequals(keyword, "ENHANCEDSTATUSCODES")) {
            caps.enhanced_status_codes = true;
        } else if (util::iequals(keyword, "SIZE")) {
            caps.size = true;
            std::uint64_t n = 0;
            auto [p, ec] = std::from_chars(param.data(), param.data() + param.size(), n);
            // A malformed limit is read as "no limit announced": the server
            // still refuses what it cannot take, with a reply we report.
            if (ec == std::errc() && p == param.data() + param.size()) caps.size_limit = n;
        }
    }
    return caps;
}

}  // namespace holdfast::smtp::client
