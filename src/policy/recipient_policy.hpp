#pragma once
// The relay decision: every RCPT is exactly one of local, backup, relay or
// refused (DESIGN "Decide", REFERENCE "Closed-relay rules").
//
// Trust comes only from the client's address (relay.networks) or a SASL
// identity — never from HELO or MAIL FROM. A local part that routes
// elsewhere ('%', '!', '@', quoted or not) never makes a recipient ours: for
// a client that may not relay it is refused, for one that may it is resolved
// to its real destination, which is then classified like any other.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "mail/address.hpp"
#include "policy/customer_domains.hpp"
#include "policy/recipient_file.hpp"
#include "smtp/protocol/reply.hpp"
#include "util/net.hpp"

namespace holdfast::policy {

enum class Destination { local, backup, relay, refused };

struct Client {
    util::IpAddress address;        // the peer
    util::IpAddress local_address;  // the address it connected to (ours)
    bool authenticated = false;
};

// How a backup domain's recipient was judged. `verify`: accepted here, but
// only the primary knows (the session asks it before accepting).
enum class BackupCheck { none, any, postmaster, list, file, verify };
const char* backup_check_name(BackupCheck c);  // "list", "file", ...

struct RecipientDecision {
    Destination destination = Destination::refused;
    mail::Address address;  // where it really goes (routing resolved); for refusals, as given
    smtp::Reply reply;      // the reply to send: 250 for the accepted, the reason otherwise
    BackupCheck backup = BackupCheck::none;  // set for every recipient of a backup domain
};

// A backup domain's recipients_file, by domain.
using RecipientFiles = std::map<std::string, std::shared_ptr<RecipientFile>>;

class RecipientPolicy {
  public:
    // `customers`: the watch's customer domains, served as backup domains
    // (accepting every recipient) while active, 450 4.7.1 while suspended.
    explicit RecipientPolicy(const config::Config& config, RecipientFiles files = {},
                             const CustomerDomains* customers = nullptr);

    bool may_relay(const Client& client) const;
    RecipientDecision decide(const mail::Address& rcpt, const Client& client) const;

  private:
    enum class DomainKind { local, backup, ours_by_name, foreign };
    DomainKind kind_of(const std::string& domain, const Client& client) const;
    RecipientDecision decide_plain(const mail::Address& rcpt, const Client& client) const;
    const config::LocalDomain* local_domain(const std::string& domain) const;
    const config::BackupDomain* backup_domain(const std::string& domain) const;
    std::optional<CustomerDomain> customer_domain(const std::string& domain) const;

    const config::Config& config_;
    RecipientFiles files_;
    const CustomerDomains* customers_;
};

}  // namespace holdfast::policy
