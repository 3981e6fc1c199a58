#pragma once
// Domain names as they go on the wire: IDNA2008 A-labels (RFC 5891) via
// libidn2, lower case, no trailing dot, checked for label and name lengths.
#include <optional>
#include <string>
#include <string_view>

namespace holdfast::dns {

// "Bücher.Example." -> "xn--bcher-kva.example"; nullopt when the name is not
// a valid host name (empty label, label over 63 octets, name over 253,
// characters outside letters, digits, '-' and '_' after conversion, or UTF-8
// that IDNA2008 refuses).
std::optional<std::string> to_ascii_domain(std::string_view name);

}  // namespace holdfast::dns
