#pragma once
// The built-in zone catalogue: widely used public DNSBL / RHSBL / allow-list
// zones with their operators' documented return codes. docs/dnsbl.md gives
// the source of every entry. Data only; classify.hpp reads it.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dnsbl/target.hpp"

namespace holdfast::dnsbl {

enum class ZoneKind { ip, ip4, ip6, domain };  // ip = IPv4 and IPv6

enum class CodeKind {
    listing,  // the target is listed
    neutral,  // an answer that is not a listing (hostkarma's white/yellow list)
    error,    // the operator refuses or flags the query: never a listing
};

struct ReturnCode {
    std::string_view address;  // "127.0.0.2"; for bitmask zones the bit value ("8")
    std::string_view meaning;
    CodeKind kind = CodeKind::listing;
};

struct ZoneInfo {
    std::string_view name;
    ZoneKind kind = ZoneKind::ip4;
    std::string_view operator_name;
    std::span<const ReturnCode> codes;  // exact addresses, or bits of the last octet
    bool bitmask = false;               // codes are bits of the last octet (URIBL, SURBL)
    bool allow_list = false;            // a listing here is good news (dnswl, SWL)
    bool lists_loopback = false;        // documents an answer for 127.0.0.1 (hostkarma)
    bool in_defaults = true;            // queried when no zones are configured
};

std::span<const ZoneInfo> catalogue();
const ZoneInfo* find_zone(std::string_view name);  // case-insensitive, trailing dot ignored

// Whether a zone answers for this kind of target. Zones outside the
// catalogue are asked about anything.
bool serves(const ZoneInfo* zone, Target::Kind kind);

// The catalogue's default block lists for this kind of target.
std::vector<std::string> default_zones(Target::Kind kind);

// Codes that mean "query refused", whatever the zone (Spamhaus' scheme,
// which other operators follow): 127.255.255.252 / .254 / .255.
std::span<const ReturnCode> generic_error_codes();

}  // namespace holdfast::dnsbl
