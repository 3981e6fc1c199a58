#pragma once
// Which messages are scanned (pure). A domain has the option when its
// [[local]] or [[backup]] table says scan = true, or the store's customer
// owning it has the scan flag. A message is scanned when any recipient's
// domain has it (the strictest setting among the recipients applies: one
// verdict covers the whole message, as one DATA gets one reply), and, for
// mail relayed for the LAN or an authenticated user (a relay recipient),
// also when the sender's domain has it (a customer's outgoing mail).
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "policy/customer_domains.hpp"
#include "queue/envelope.hpp"

namespace holdfast::scan {

bool domain_has_scan(const config::Config& c, const policy::CustomerDomainMap* customers,
                     std::string_view domain);

// The reason it is scanned ("rcpt:example.test", "sender:lan.test"), or ""
// when it is not.
std::string scan_reason(const config::Config& c, const policy::CustomerDomainMap* customers,
                        std::string_view sender, const std::vector<queue::Recipient>& recipients);

}  // namespace holdfast::scan
