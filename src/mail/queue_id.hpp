#pragma once
// Queue ids: sortable by arrival (the first 11 characters are the arrival time
// in microseconds, Crockford base32), unique by 4 random characters after it.
// Safe in file names and log lines: [0-9A-Z] only, always 15 characters.
#include <chrono>
#include <string>
#include <string_view>

namespace holdfast::mail {

std::string new_queue_id(
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
bool is_valid_queue_id(std::string_view id);
// The arrival time encoded in a valid id.
std::chrono::system_clock::time_point queue_id_time(std::string_view id);

}  // namespace holdfast::mail
