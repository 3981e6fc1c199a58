#include "delivery/down_state.hpp"

#include <nlohmann/json.hpp>

namespace holdfast::delivery {

using json = nlohmann::json;
using std::chrono::microseconds;

std::string encode_down(const std::vector<DownRecord>& down) {
    json list = json::array();
    for (const auto& d : down) {
        list.push_back(
            {{"destination", d.destination},
             {"reason", d.reason},
             {"next_probe",
              std::chrono::duration_cast<microseconds>(d.next_probe.time_since_epoch()).count()}});
    }
    return json{{"version", 1}, {"down", list}}.dump(-1, ' ', false,
                                                     json::error_handler_t::replace) +
           "\n";
}

std::filesystem::path destinations_file(const std::filesystem::path& spool_dir) {
    return spool_dir / "destinations.json";
}

std::optional<std::vector<DownRecord>> decode_down(std::string_view text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("version", 0) != 1) return std::nullopt;
    auto list = j.find("down");
    if (list == j.end() || !list->is_array()) return std::nullopt;
    std::vector<DownRecord> out;
    for (const auto& d : *list) {
        if (!d.is_object()) return std::nullopt;
        auto dest = d.find("destination");
        auto next = d.find("next_probe");
        if (dest == d.end() || !dest->is_string() || next == d.end() || !next->is_number_integer())
            return std::nullopt;
        DownRecord r;
        r.destination = dest->get<std::string>();
        auto reason = d.find("reason");
        if (reason != d.end() && reason->is_string()) r.reason = reason->get<std::string>();
        r.next_probe =
            std::chrono::system_clock::time_point(microseconds(next->get<std::int64_t>()));
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace holdfast::delivery
