#pragma once
// How a lookup is shown: one row per zone and a summary line, or the JSON
// of CONTRACT.md; and the exit status of `holdfast rbl`.
#include <nlohmann/json.hpp>

#include <string>

#include "dnsbl/lookup.hpp"

namespace holdfast::dnsbl {

std::string format_text(const Report& r);

// {"query", "listed", "zones": [{"zone", "status", "codes", "txt"}]} plus
// "meanings" and "detail" per zone, and "complete".
nlohmann::ordered_json to_json(const Report& r);

// 1 listed on a block list; else 2 when a zone timed out or failed (unknown
// is never reported as clean) or no zone was asked; else 0.
int exit_status(const Report& r);

}  // namespace holdfast::dnsbl
