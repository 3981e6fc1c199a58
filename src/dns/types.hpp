#pragma once
// DNS value types shared by the wire parser, the resolver and its users
// (delivery's MX lookups, the DNSBL checker). No I/O, no Asio.
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "util/net.hpp"

namespace holdfast::dns {

// The record types Holdfast asks for (RFC 1035, RFC 3596).
enum class RrType : std::uint16_t {
    a = 1,
    ns = 2,
    cname = 5,
    soa = 6,
    ptr = 12,
    mx = 15,
    txt = 16,
    aaaa = 28,
};
const char* type_name(RrType t);  // "A", "MX", ...

// Response codes of the header (RFC 1035 4.1.1).
enum class Rcode : std::uint8_t {
    noerror = 0,
    formerr = 1,
    servfail = 2,
    nxdomain = 3,
    notimp = 4,
    refused = 5,
};

struct Mx {
    std::uint16_t preference = 0;
    std::string host;  // lower case, no trailing dot; "" for a null MX (RFC 7505)
    bool operator==(const Mx&) const = default;
};

// The useful part of an answer to one question. Only the fields of the
// asked type are filled; CNAME chains inside the answer are followed.
struct Answer {
    std::string name;  // the question, lower case, no trailing dot
    RrType type = RrType::a;
    std::vector<util::IpAddress> addresses;  // A (as v4-mapped) and AAAA
    std::vector<Mx> mx;                      // sorted by preference
    std::vector<std::string> texts;          // TXT: each record's strings joined
    std::vector<std::string> names;          // PTR, NS, CNAME targets
    // Seconds the answer may be cached: the smallest TTL of the records used,
    // or for NXDOMAIN / no data the negative TTL from the SOA (RFC 2308),
    // 0 when the server gave none.
    std::uint32_t ttl = 0;
};

// A lookup's outcome: error == {} and a non-empty answer, or an error from
// dns::Errc (dns/error.hpp). answer.ttl is also set for nxdomain / no_data.
struct Result {
    std::error_code error;
    Answer answer;
};

}  // namespace holdfast::dns
