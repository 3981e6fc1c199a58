#pragma once
// What is looked up, and the RFC 5782 query names built from it.
#include <optional>
#include <string>
#include <string_view>

#include "util/net.hpp"

namespace holdfast::dnsbl {

struct Target {
    enum class Kind { ipv4, ipv6, domain };
    Kind kind = Kind::ipv4;
    util::IpAddress ip;       // ipv4 / ipv6
    std::string domain;       // domain: A-labels, lower case, no trailing dot
    std::string str() const;  // as shown to people: "192.0.2.1", "2001:db8::1", "example.org"
};

// An IPv4 or IPv6 address (also "[...]" / "[IPv6:...]" SMTP literals), or a
// domain name (IDN converted to A-labels). An IPv4-mapped IPv6 address is
// looked up as the IPv4 address it carries. nullopt if neither.
std::optional<Target> parse_target(std::string_view text);

// The part before the zone: "2.0.0.127" for 127.0.0.2, 32 zero-expanded
// nibbles for IPv6 (RFC 5782 2.4), the name itself for a domain.
std::string reversed(const Target& t);

// reversed(t) + "." + zone.
std::string query_name(const Target& t, std::string_view zone);

// RFC 5782 5: the test entries every list must answer for. `listed` = the
// one that must be listed (127.0.0.2, ::FFFF:7F00:2, "test"), else the one
// that must not (127.0.0.1, ::FFFF:7F00:1, "invalid"), for a target of `kind`.
Target test_entry(Target::Kind kind, bool listed);

}  // namespace holdfast::dnsbl
