#pragma once
// ASCII-only string helpers: mail protocols are case-insensitive in ASCII only.
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::util {

char ascii_lower(char c);
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
// Splits on every occurrence of sep; empty fields are kept.
std::vector<std::string_view> split(std::string_view s, char sep);
// Printable form of untrusted bytes for logs and error messages: controls and
// non-ASCII become \xNN, and the result is cut at max_len.
std::string printable(std::string_view s, std::size_t max_len = 200);

}  // namespace holdfast::util
