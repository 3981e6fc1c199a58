#pragma once
// ASCII-only string helpers: mail protocols are case-insensitive in ASCII only.
#include <string>
#include <string_view>
#include <vector>

namespace holdfast::util {

char ascii_lower(char c);
std::string ascii_lower(std::string_view s);
// A local part in the form it is compared and stored in: every code point
// of well-formed UTF-8 lower-cased by Unicode's simple lowercase mapping
// (glibc's C.UTF-8 tables: "JÖRG" and "jörg", "ΣΟΦΙΑ" and "σοφια" match);
// ASCII as ascii_lower; octets that are not well-formed UTF-8 unchanged.
std::string fold_local_part(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
std::string_view trim(std::string_view s);
// Splits on every occurrence of sep; empty fields are kept.
std::vector<std::string_view> split(std::string_view s, char sep);
// Printable form of untrusted bytes for logs and error messages: controls and
// non-ASCII become \xNN, and the result is cut at max_len.
std::string printable(std::string_view s, std::size_t max_len = 200);
// The same, but well-formed UTF-8 sequences (U+00A0 and above) are kept as
// they are: for text that may carry UTF-8 (SMTPUTF8 mail). Invalid octets,
// overlong forms, surrogates and C1 controls are still escaped.
std::string printable_utf8(std::string_view s, std::size_t max_len = 200);
// The length of the well-formed UTF-8 sequence of a code point >= U+00A0 at
// the start of s; 0 if there is none.
std::size_t utf8_sequence(std::string_view s);

}  // namespace holdfast::util
