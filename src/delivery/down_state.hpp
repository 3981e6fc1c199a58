#pragma once
// The remote courier's memory of destinations that are down, kept in the
// spool directory (docs/queue-format.md, "destinations") so that a restart
// does not send `concurrency` connections at once to a host known dead a
// second earlier: the destination, why it is down and when it is probed
// next. Pure encode / decode; the courier reads and writes the file.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::delivery {

struct DownRecord {
    std::string destination;
    std::string reason;
    std::chrono::system_clock::time_point next_probe;
    bool operator==(const DownRecord&) const = default;
};

// One JSON document: {"version":1,"down":[{"destination":...,"reason":...,
// "next_probe":<microseconds since the epoch>}]}.
std::string encode_down(const std::vector<DownRecord>& down);
// nullopt if it does not parse (the courier then starts with nothing down).
std::optional<std::vector<DownRecord>> decode_down(std::string_view text);

// Where the spool in `spool_dir` keeps them: <spool>/destinations.json.
std::filesystem::path destinations_file(const std::filesystem::path& spool_dir);

}  // namespace holdfast::delivery
