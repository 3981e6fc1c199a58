#pragma once
// SPF check_host() (RFC 7208 4-5) over an asynchronous DNS lookup: the 10
// DNS-mechanism limit, the 2 void-lookup limit, 10 MX names per mx, include
// and redirect, temperror for DNS failures other than "no such name/data".
// ptr never matches (RFC 7208 5.5 says not to use it; we do not look it up).
// The lookup is a function so that tests can run the evaluator over a table.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "dns/types.hpp"
#include "spf/record.hpp"
#include "util/net.hpp"

namespace holdfast::spf {

using Lookup = std::function<boost::asio::awaitable<dns::Result>(std::string, dns::RrType)>;

struct Request {
    util::IpAddress ip;  // the SMTP client
    std::string sender;  // MAIL FROM address without brackets; "" = null sender
    std::string helo;    // HELO/EHLO name
};

struct Outcome {
    Result result = Result::none;
    std::string domain;  // the domain checked: MAIL FROM's, or HELO's for a null sender
    std::string sender;  // <sender> as checked (postmaster@helo for a null sender)
    std::string reason;  // for logs and Authentication-Results comments
};

boost::asio::awaitable<Outcome> check(Lookup lookup, Request request);

}  // namespace holdfast::spf
