#pragma once
// Strict base64 (RFC 4648 4): for SASL, where sloppy decoding hides attacks.
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::util {

std::string base64_encode(std::string_view data);
// nullopt on any character outside the alphabet, bad padding or length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace holdfast::util
