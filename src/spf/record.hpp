#pragma once
// SPF records (RFC 7208 4.6, 5, 6): the parsed form of "v=spf1 ...". Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/net.hpp"

namespace holdfast::spf {

// check_host()'s results (RFC 7208 2.6).
enum class Result { none, neutral, pass, fail, softfail, temperror, permerror };
const char* result_name(Result r);  // "pass", "softfail", ... as in Authentication-Results

enum class Qualifier { pass, fail, softfail, neutral };  // + - ~ ?
Result result_of(Qualifier q);

struct Mechanism {
    enum class Kind { all, include, a, mx, ptr, ip4, ip6, exists };
    Kind kind = Kind::all;
    Qualifier qualifier = Qualifier::pass;
    std::string domain;  // domain-spec, macros not yet expanded; "" = the current domain
    unsigned cidr4 = 32, cidr6 = 128;  // a, mx: dual-cidr-length; ip4/ip6: the prefix
    util::IpAddress address;           // ip4, ip6
};

struct Record {
    std::vector<Mechanism> mechanisms;
    std::optional<std::string> redirect;  // redirect= domain-spec
    // Parses the text of one TXT record (already known to start with
    // "v=spf1"); nullopt is a permerror (RFC 7208 4.6: syntax errors).
    static std::optional<Record> parse(std::string_view text);
};

// Whether a TXT record is an SPF record: "v=spf1" alone or followed by a space.
bool is_spf_record(std::string_view text);

// Whether `a` is within `prefix` bits of `base` (IPv4 prefixes 0-32 apply
// to IPv4 addresses only, IPv6 ones 0-128 to IPv6 only).
bool in_network(const util::IpAddress& a, const util::IpAddress& base, unsigned prefix);

}  // namespace holdfast::spf
