#include "dnsbl/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace holdfast::dnsbl {
namespace {

std::string describe(const ZoneResult& z) {
    std::string s;
    for (const Code& c : z.codes) {
        if (!s.empty()) s += ", ";
        s += c.meaning.empty() ? c.address : fmt::format("{} ({})", c.address, c.meaning);
    }
    if (z.allow_list && z.status == Status::listed) s += " [allow-list]";
    if (!z.txt.empty()) s += fmt::format(" \"{}\"", z.txt);
    // An error's codes already carry its reason.
    bool said = z.status == Status::error && !z.codes.empty();
    if (!z.detail.empty() && !said) s += (s.empty() ? "" : "; ") + z.detail;
    return s;
}

}  // namespace

std::string format_text(const Report& r) {
    std::size_t width = 4;
    for (const auto& z : r.zones) width = std::max(width, z.zone.size());
    std::string out = fmt::format("{:<{}}  {:<8} {}\n", "ZONE", width, "STATUS", "DETAIL");
    std::map<Status, int> counts;
    int listed = 0;
    for (const auto& z : r.zones) {
        ++counts[z.status];
        if (z.status == Status::listed && !z.allow_list) ++listed;
        std::string row =
            fmt::format("{:<{}}  {:<8} {}", z.zone, width, status_name(z.status), describe(z));
        while (!row.empty() && row.back() == ' ') row.pop_back();
        out += row + "\n";
    }
    std::string tally;
    for (Status s :
         {Status::listed, Status::clean, Status::timeout, Status::error, Status::broken}) {
        if (counts[s])
            tally += fmt::format("{}{} {}", tally.empty() ? "" : ", ", counts[s], status_name(s));
    }
    out += fmt::format("{}: {} on {} of {} zones ({})\n", r.query,
                       r.listed() ? "LISTED" : "not listed", listed, r.zones.size(),
                       tally.empty() ? "no zones" : tally);
    if (!r.listed() && !r.complete())
        out += "incomplete: some zones gave no answer, so this is not a clean bill\n";
    return out;
}

nlohmann::ordered_json to_json(const Report& r) {
    nlohmann::ordered_json zones = nlohmann::ordered_json::array();
    for (const auto& z : r.zones) {
        nlohmann::ordered_json codes = nlohmann::ordered_json::array(),
                               meanings = nlohmann::ordered_json::array();
        for (const Code& c : z.codes) {
            codes.push_back(c.address);
            meanings.push_back(c.meaning);
        }
        nlohmann::ordered_json row = {{"zone", z.zone},       {"status", status_name(z.status)},
                                      {"codes", codes},       {"txt", z.txt},
                                      {"meanings", meanings}, {"detail", z.detail}};
        if (z.allow_list) row["allow_list"] = true;
        zones.push_back(std::move(row));
    }
    return {
        {"query", r.query}, {"listed", r.listed()}, {"complete", r.complete()}, {"zones", zones}};
}

int exit_status(const Report& r) {
    if (r.listed()) return 1;
    if (r.zones.empty() || !r.complete()) return 2;
    return 0;
}

}  // namespace holdfast::dnsbl
