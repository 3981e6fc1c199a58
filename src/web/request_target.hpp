#pragma once
// The request line's target and form bodies, pure: percent-decoding, path
// normalisation (no way above the root, no NUL, no backslash tricks), query
// and application/x-www-form-urlencoded parsing, UTF-8 validation. Unit-
// tested and fuzzed (tests/fuzz/web_target_fuzz.cpp): every byte of it comes
// from the client.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::web {

using Params = std::map<std::string, std::string>;

struct Target {
    std::string path;  // decoded, normalised, starts with "/"
    Params query;      // decoded; a repeated name keeps its first value
};

// nullopt for anything not origin-form ("/..."), a bad %-escape, a decoded
// NUL / control character / backslash, invalid UTF-8, or a path that leaves
// the root ("/../x"). "." and empty segments are dropped; "a/../b" is "b".
std::optional<Target> parse_target(std::string_view target);

// "a=1&b=x+y%21" -> {a: "1", b: "x y!"}; nullopt for a bad escape or
// invalid UTF-8. Control characters other than tab are refused in values
// (a CR/LF in a field cannot reach a header or a log line).
std::optional<Params> parse_form(std::string_view body);

// RFC 3629 UTF-8, no overlongs, no surrogates.
bool valid_utf8(std::string_view s);

// For links: every byte outside [A-Za-z0-9-._~] as %XX.
std::string url_encode(std::string_view s);

}  // namespace holdfast::web
