#pragma once
// The SMTP server's DNSBL check: one per connection, asynchronous, bounded
// by [dnsbl] deadline, failing open. Usage from a session coroutine:
//
//     dnsbl::Verdict v = co_await checker.check(client_ip);
//     if (v.reject) reply(554, "5.7.1", v.reply_text(client_ip));
//
// Typically started with co_spawn at connect and awaited at the first RCPT,
// so the banner does not wait for DNS.
#include <boost/asio/awaitable.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"
#include "util/net.hpp"

namespace holdfast::dnsbl {

struct Listing {
    std::string zone;
    std::vector<std::string> codes;  // "127.0.0.2", ...
    std::string txt;                 // the list's reason, may be empty
    double weight = 1;
};

struct Verdict {
    bool checked = false;           // false: exempt (allow / relay networks) or no zones configured
    std::vector<Listing> listings;  // block lists that name the client, in config order
    std::vector<std::string>
        failed;            // zones that timed out, erred or are broken: ignored (fail open)
    double score = 0;      // sum of the listings' weights
    bool blocked = false;  // score >= threshold
    bool reject = false;   // blocked and [dnsbl] action = "reject"
    // "Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org; <TXT>"
    // (the first listing, the one whose reason the sender's admin needs).
    std::string reply_text(const util::IpAddress& client) const;
};

class Checker {
  public:
    // `relay_networks` ([relay] networks) are never checked, like `cfg.allow`.
    Checker(dns::Resolver& resolver, config::Dnsbl cfg,
            std::vector<util::IpNetwork> relay_networks);

    // Never throws for DNS trouble; completes within cfg.deadline. Logs each
    // listing and each failed zone (key=value lines).
    boost::asio::awaitable<Verdict> check(util::IpAddress client) const;

  private:
    dns::Resolver& resolver_;
    config::Dnsbl cfg_;
    std::vector<util::IpNetwork> exempt_;
};

}  // namespace holdfast::dnsbl
