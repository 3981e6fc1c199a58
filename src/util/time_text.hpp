#pragma once
// Times as text, always in UTC: RFC 3339 for machines (JSON, CONTRACT.md)
// and a shorter form for people (pages, notices).
#include <chrono>
#include <string>

namespace holdfast::util {

// strftime(3) `pattern` in UTC (output under 64 characters).
std::string format_utc(std::chrono::system_clock::time_point t, const char* pattern);
// "2026-11-30T17:05:09Z" (whole seconds).
std::string rfc3339(std::chrono::system_clock::time_point t);
// "2026-11-30 17:05 UTC"; "" for the epoch (never happened).
std::string human_utc(std::chrono::system_clock::time_point t);

}  // namespace holdfast::util
