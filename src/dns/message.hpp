#pragma once
// A DNS message parser (RFC 1035 4.1) over untrusted bytes: no I/O, bounded
// work, fuzzed (tests/fuzz/dns_answer_fuzz.cpp). Only the record types
// Holdfast uses are decoded; others are skipped by length.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/types.hpp"

namespace holdfast::dns {

struct Question {
    std::string name;  // canonical: lower case, no trailing dot, "" = root
    std::uint16_t type = 0;
    std::uint16_t klass = 0;
};

struct Record {
    std::string name;
    std::uint16_t type = 0;
    std::uint16_t klass = 0;
    std::uint32_t ttl = 0;
    // Decoded RDATA, by type: A/AAAA address; CNAME/PTR/NS target and MX
    // exchange in `target` (MX preference in `preference`); TXT strings;
    // SOA: `target` = MNAME, `soa_minimum` = MINIMUM.
    util::IpAddress address;
    std::string target;
    std::uint16_t preference = 0;
    std::vector<std::string> strings;
    std::uint32_t soa_minimum = 0;
};

struct Message {
    std::uint16_t id = 0;
    bool response = false;   // QR
    bool truncated = false;  // TC
    std::uint8_t opcode = 0;
    std::uint8_t rcode = 0;
    std::vector<Question> questions;
    std::vector<Record> answers;
    std::vector<Record> authority;  // additional section is not read
};

// nullopt for anything malformed: short header, a count that runs past the
// end, a bad label or pointer, a name over 255 octets, RDATA whose length
// does not match its type.
std::optional<Message> parse_message(std::span<const std::uint8_t> bytes);

// Lower case (ASCII only), without the trailing dot: the form names are
// compared and cached in.
std::string canonical_name(std::string_view name);

// Limits that bound the parser's work on hostile input.
inline constexpr std::size_t kMaxNameLength = 255;  // wire octets, RFC 1035 3.1
inline constexpr int kMaxCompressionJumps = 64;     // pointers followed per name
inline constexpr std::size_t kMaxRecordsPerSection = 512;

}  // namespace holdfast::dns
