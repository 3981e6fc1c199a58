#pragma once
// From a raw DNS response to a Result: the rcode told apart (NXDOMAIN vs
// SERVFAIL vs REFUSED vs no data), CNAME chains followed, TTLs kept for the
// cache. Pure; c-ares hands us the bytes, so its lossy status codes (1.18
// folds SERVFAIL and REFUSED together) never decide anything.
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/error.hpp"
#include "dns/message.hpp"
#include "dns/types.hpp"

namespace holdfast::dns {

// The answer to (qname, qtype) in `m`. A response that does not echo the
// question, or is not a response, is malformed.
Result interpret(const Message& m, std::string_view qname, RrType qtype);

// parse_message + interpret.
Result interpret_response(std::span<const std::uint8_t> bytes, std::string_view qname,
                          RrType qtype);

// CNAME links followed inside one answer before giving up.
inline constexpr int kMaxCnameChain = 16;

}  // namespace holdfast::dns
