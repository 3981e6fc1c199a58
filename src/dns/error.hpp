#pragma once
// Why a DNS lookup gave no answer. Delivery treats nxdomain as permanent and
// everything else as temporary (RFC 5321 5.1); the DNSBL checker reads
// nxdomain and no_data as "not listed" and everything else as "unknown".
#include <system_error>

namespace holdfast::dns {

enum class Errc {
    nxdomain = 1,    // the name does not exist (rcode 3)
    no_data,         // the name exists, but has no record of that type
    server_failure,  // SERVFAIL, or no server could be reached
    refused,         // REFUSED (e.g. a zone the server will not answer for)
    timeout,         // no answer within timeout x tries
    malformed,       // an answer we cannot parse or that does not match the question
    bad_name,        // the name cannot be put in a query
    cancelled,       // the caller gave up, or the resolver is shutting down
    failure,         // anything else the resolver library reported
};

const std::error_category& dns_category();
std::error_code make_error_code(Errc e);

// True only for answers that will not change on retry: the name does not
// exist or cannot be queried.
bool is_permanent(std::error_code ec);

}  // namespace holdfast::dns

template <>
struct std::is_error_code_enum<holdfast::dns::Errc> : std::true_type {};
